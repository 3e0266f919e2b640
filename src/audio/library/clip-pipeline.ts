/**
 * Turns a checked source into the stored variants of a clip: one ffmpeg run encodes every codec profile, each output
 * is measured (ffprobe), digested (SHA-256 address, SM3) and stored; then the clip row turns ready in one transaction
 * with its variant rows. Failure marks the clip failed with the reason and leaves no work file behind.
 */
import { Injectable } from '@nestjs/common';
import { Transactions } from '../../database/transactions';
import { withoutPaths } from '../../common/errors';
import { CODEC_PROFILES } from '../media/codec-profiles';
import { Ffmpeg, type EncodeOptions, type EncodeSource } from '../media/ffmpeg';
import { ClipFiles } from './clip-files';
import { ClipRepository, type VariantRow } from './clip.repository';

@Injectable()
export class ClipPipeline {
  constructor(
    private readonly ffmpeg: Ffmpeg,
    private readonly files: ClipFiles,
    private readonly clips: ClipRepository,
    private readonly transactions: Transactions,
  ) {}

  /** Encodes, stores and records the variants of `clipId`; marks the clip ready (or failed, rethrowing). */
  async produce(clipId: string, source: EncodeSource, options: EncodeOptions): Promise<VariantRow[]> {
    const outputs = await Promise.all(
      CODEC_PROFILES.map(async (profile) => ({ profile, file: await this.files.workPath(profile.extension) })),
    );
    const adopted: string[] = [];
    try {
      await this.ffmpeg.encode(source, outputs, options);
      const variants: VariantRow[] = [];
      for (const { profile, file } of outputs) {
        const facts = await this.ffmpeg.facts(file);
        const stored = await this.files.adopt(file, profile.extension);
        adopted.push(stored.key);
        variants.push({
          clipId,
          profile: profile.id,
          codec: facts.codecName,
          mime: profile.mime,
          bitrate: profile.bitrate,
          sampleRate: profile.sampleRate,
          durationMs: Math.round(facts.seconds * 1000),
          sizeBytes: stored.sizeBytes,
          sha256: stored.sha256,
          sm3: stored.sm3,
          fileKey: stored.key,
        });
      }
      const durationMs = Math.round(options.expectedSeconds * 1000);
      await this.transactions.run(async (tx) => {
        await this.clips.insertVariants(variants, tx);
        await this.clips.updateClip(clipId, { state: 'ready', error: null, durationMs }, tx);
      });
      return variants;
    } catch (e) {
      await this.files.discard(...outputs.map((o) => o.file));
      // stored files no variant row refers to (an identical file of another clip stays)
      for (const key of adopted) if (!(await this.clips.isFileUsed(key))) await this.files.remove(key);
      await this.clips.updateClip(clipId, { state: 'failed', error: withoutPaths((e as Error).message) });
      throw e;
    }
  }
}
