/**
 * The audio library's use cases: upload (checked before anything is stored), text-to-speech, listing, preview with
 * byte ranges, deletion (refused while referenced). Heavy work runs as jobs; this class only orchestrates adapters.
 */
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { AuthUser } from '../auth/auth-user';
import { AuditService } from '../audit/audit.service';
import { isUnrestricted } from '../auth/scope';
import { ConflictError, ForbiddenError, NotFoundError, ValidationFailedError, withoutPaths } from '../common/errors';
import { Transactions } from '../database/transactions';
import { AUDIO_CONFIG } from './audio.tokens';
import type { AudioConfig } from './audio-config';
import { AudioCapabilitiesService } from './audio-capabilities.service';
import { AudioJobs, type AudioJob } from './jobs/audio-jobs';
import { contentRange, parseRange } from './library/byte-range';
import { ClipFiles } from './library/clip-files';
import { ClipPipeline } from './library/clip-pipeline';
import { ClipReferences } from './library/clip-references';
import { ClipRepository, type ClipKind, type ClipRow } from './library/clip.repository';
import { clipView, type ClipView } from './library/clip-view';
import { CODEC_PROFILES, findProfile } from './media/codec-profiles';
import { Ffmpeg } from './media/ffmpeg';
import { ProcessError } from './media/audio-processes';
import { refuseFromDecode, refuseFromProbe } from './media/probe';
import { ToneService } from './tones/tone.service';
import { Clock } from '../common/clock';
import { findTone } from './tones/tone-catalogue';

export interface UploadedAudio {
  originalname: string;
  size: number;
  buffer: Buffer;
}

export interface ClipStarted {
  clip: ClipView;
  job: AudioJob;
}

/** A clip ready to be sent to terminals that decode one of the given codecs (the shape the field layer transfers). */
export interface TerminalClip {
  /** The variant's numeric id: the clip id on the terminal. */
  clipId: number;
  libraryClipId: string;
  profile: string;
  codec: string;
  /** SM3 digest of the data, hex. */
  digest: string;
  data: Uint8Array;
}

export interface ClipContent {
  status: 200 | 206 | 416;
  headers: Record<string, string>;
  body: Readable | null;
}

const PREVIEW_PROFILE = 'mp3-64k';
/** How long a tone another instance is generating is waited for (a tone takes a few seconds), and how often read, ms. */
const TONE_ELSEWHERE_MS = 60_000;
const TONE_RECHECK_MS = 250;

@Injectable()
export class AudioService {
  constructor(
    @Inject(AUDIO_CONFIG) private readonly config: AudioConfig,
    private readonly capabilities: AudioCapabilitiesService,
    private readonly ffmpeg: Ffmpeg,
    private readonly files: ClipFiles,
    private readonly clips: ClipRepository,
    private readonly pipeline: ClipPipeline,
    private readonly jobs: AudioJobs,
    private readonly references: ClipReferences,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly tones: ToneService,
    private readonly clock: Clock,
  ) {}

  /** Checks the upload fully (probe, complete decode, limits) before storing anything; then transcodes as a job. */
  async upload(user: AuthUser, file: UploadedAudio | undefined, title: string | undefined): Promise<ClipStarted> {
    await this.capabilities.require('upload');
    if (!file || file.size === 0)
      throw ValidationFailedError.field('file', 'no file was sent (multipart field "file")');
    if (file.size > this.config.maxUploadBytes) {
      throw ValidationFailedError.field(
        'file',
        `file is ${file.size} bytes, larger than the limit of ${this.config.maxUploadBytes} bytes`,
      );
    }
    const work = await this.files.writeWork(file.buffer, 'upload');
    try {
      const limits = { maxBytes: this.config.maxUploadBytes, maxSeconds: this.config.maxSeconds };
      const probed = await this.ffmpeg.probe(work);
      if (!probed.ok) throw ValidationFailedError.field('file', probed.reason);
      const early = refuseFromProbe(probed.probe, limits);
      if (early) throw ValidationFailedError.field('file', early);
      const decoded = await this.ffmpeg
        .analyse(work, probed.probe.declaredSeconds ?? limits.maxSeconds)
        .catch((e: unknown) => {
          if (e instanceof ProcessError) throw ValidationFailedError.field('file', e.message);
          throw e;
        });
      const late = refuseFromDecode(probed.probe, decoded, limits);
      if (late) throw ValidationFailedError.field('file', late);
      const clip = await this.createClip(user, 'upload', title?.trim() || file.originalname, file.originalname);
      const job = this.jobs.start('upload', clip.id, async (h) => {
        try {
          await this.pipeline.produce(
            clip.id,
            { file: work },
            {
              loudness: decoded.loudness ?? undefined,
              expectedSeconds: decoded.decodedSeconds,
              onProgress: (p) => h.progress(p),
            },
          );
        } finally {
          await this.files.discard(work);
        }
      });
      return { clip: clipView(clip, []), job };
    } catch (e) {
      await this.files.discard(work);
      throw e;
    }
  }

  /**
   * A new clip made of library clips played one after the other (a tone before a message), as a job: it waits for
   * every part to be ready, joins them (decoded from their best variant) and encodes the result like any clip, at the
   * level the parts already have.
   */
  async compose(user: AuthUser, partIds: readonly string[], title: string): Promise<ClipStarted> {
    await this.capabilities.require('upload');
    for (const id of partIds) if (!(await this.clips.findClip(id))) throw new NotFoundError('audio clip', id);
    const clip = await this.createClip(user, 'composed', title, partIds.join(' + '));
    const job = this.jobs.start('compose', clip.id, async (h) => {
      const wav = await this.files.workPath('wav');
      try {
        const inputs: string[] = [];
        let seconds = 0;
        for (const id of partIds) {
          const part = await this.settled(id);
          if (part.state !== 'ready')
            throw new Error(`part ${id} is ${part.state}${part.error ? `: ${part.error}` : ''}`);
          const variant = part.variants.find((v) => v.profile === PREVIEW_PROFILE) ?? part.variants[0];
          const row = (await this.clips.variantsOf([id])).find((v) => v.id === variant?.id);
          if (!row) throw new Error(`part ${id} has no stored variant`);
          await this.files.ensure(row.fileKey);
          inputs.push(this.files.pathOf(row.fileKey));
          seconds += row.durationMs / 1000;
        }
        h.progress(5);
        await this.ffmpeg.concat(inputs, wav);
        h.progress(20);
        await this.pipeline.produce(
          clip.id,
          { file: wav },
          { expectedSeconds: seconds, onProgress: (p) => h.progress(20 + (p * 8) / 10) },
        );
      } catch (e) {
        await this.markFailed(clip.id, (e as Error).message);
        throw e;
      } finally {
        await this.files.discard(wav);
      }
    });
    return { clip: clipView(clip, []), job };
  }

  async createClip(
    user: AuthUser,
    kind: 'upload' | 'tts' | 'composed',
    title: string,
    source: string,
  ): Promise<ClipRow> {
    const id = randomUUID();
    const row: ClipRow = {
      id,
      kind,
      title: title.slice(0, 200),
      state: 'processing',
      error: null,
      source,
      durationMs: null,
      createdById: user.id || null,
      createdAt: this.clock.date(),
    };
    await this.transactions.run(async (tx) => {
      await this.clips.insertClip(row, tx);
      await this.audit.record(
        {
          actor: user,
          action:
            kind === 'upload' ? 'audio_clip.upload' : kind === 'tts' ? 'audio_clip.synthesise' : 'audio_clip.compose',
          entityType: 'audio_clip',
          entityId: id,
          after: { kind, title: row.title },
        },
        tx,
      );
    });
    return row;
  }

  /** Marks a clip failed (work that stopped before the pipeline could). */
  async markFailed(id: string, reason: string): Promise<void> {
    await this.clips.updateClip(id, { state: 'failed', error: withoutPaths(reason) });
  }

  async list(kind: ClipKind | undefined, limit: number, offset: number): Promise<{ items: ClipView[]; total: number }> {
    const { rows, total } = await this.clips.listClips({ kind, limit, offset });
    const variants = await this.clips.variantsOf(rows.map((r) => r.id));
    return { items: rows.map((r) => clipView(r, variants)), total };
  }

  /** A clip with its variants; a built-in tone not generated yet starts generating (state `processing`). */
  async get(id: string): Promise<ClipView> {
    await this.tones.ensure(id);
    const row = await this.clips.findClip(id);
    if (!row) throw new NotFoundError('audio clip', id);
    return clipView(row, await this.clips.variantsOf([id]));
  }

  /**
   * The clip's variant for terminals that declare `codecs` (codec names such as "opus", or profile ids), in the order
   * of CODEC_PROFILES (the smallest for the bus first). A built-in tone not generated yet is generated first.
   */
  async forTerminals(id: string, codecs: readonly string[]): Promise<TerminalClip> {
    const generating = await this.tones.ensure(id);
    if (generating) await this.jobs.settled(generating.id);
    let row = await this.clips.findClip(id);
    // a built-in tone being generated by another instance of a cluster (no job here to wait on): its row says when
    for (let waited = 0; row?.state === 'processing' && findTone(id) && waited < TONE_ELSEWHERE_MS;) {
      await this.clock.sleep(TONE_RECHECK_MS);
      waited += TONE_RECHECK_MS;
      row = await this.clips.findClip(id);
    }
    if (!row) throw new NotFoundError('audio clip', id);
    if (row.state !== 'ready')
      throw new ConflictError('clip_not_ready', `clip ${id} is ${row.state}${row.error ? `: ${row.error}` : ''}`, {
        clipId: id,
        state: row.state,
      });
    const variants = await this.clips.variantsOf([id]);
    const chosen = CODEC_PROFILES.map((p) => variants.find((v) => v.profile === p.id)).find(
      (v) => v !== undefined && (codecs.includes(v.codec) || codecs.includes(v.profile)),
    );
    if (!chosen) {
      throw new ConflictError(
        'clip_codec_unsupported',
        `clip ${id} has no variant in ${codecs.join(', ') || '(no codec)'}; it has ${variants.map((v) => v.profile).join(', ')}`,
        { clipId: id, codecs },
      );
    }
    // the terminal's clip id is a u16 (terminal-modbus PROTOCOL.md §3, §6)
    if (chosen.id > 0xffff)
      throw new ConflictError(
        'clip_id_exhausted',
        `variant id ${chosen.id} of clip ${id} does not fit a terminal clip id (u16)`,
        { clipId: id },
      );
    return {
      clipId: chosen.id,
      libraryClipId: id,
      profile: chosen.profile,
      codec: chosen.codec,
      digest: chosen.sm3,
      data: await this.files.read(chosen.fileKey),
    };
  }

  /**
   * The clip once the work running on it has finished (a tone generated on first use, a synthesis or transcoding job):
   * for features that must not go on with a clip still processing (the one-key emergency path).
   */
  async settled(id: string): Promise<ClipView> {
    const generating = await this.tones.ensure(id);
    if (generating) await this.jobs.settled(generating.id);
    let subscription: { unsubscribe(): void } | undefined;
    const finished = new Promise<void>((resolve) => {
      subscription = this.jobs.updates$.subscribe((job) => {
        if (job.clipId === id && job.finishedAt !== null) resolve();
      });
    });
    try {
      let row = await this.clips.findClip(id);
      if (!row) throw new NotFoundError('audio clip', id);
      // processed here, its job says when it ends; processed by another instance of a cluster, its row does (read
      // again until it leaves processing: ready, failed, or failed by a survivor when that instance stopped)
      if (row.state === 'processing' && this.jobs.isWorkingOn(id)) await finished;
      else
        while (row?.state === 'processing' && !this.jobs.isWorkingOn(id)) {
          await this.clock.sleep(TONE_RECHECK_MS);
          row = await this.clips.findClip(id);
        }
    } finally {
      subscription?.unsubscribe();
    }
    return this.get(id);
  }

  /** Generates every built-in tone not stored yet. */
  generateTones(): Promise<AudioJob[]> {
    return this.tones.ensureAll();
  }

  job(id: string): AudioJob {
    return this.jobs.get(id);
  }

  /**
   * Deletes a clip no alert or schedule refers to, for its author or an unrestricted administrator; built-in tones
   * and clips still processing are kept.
   */
  async remove(user: AuthUser, id: string): Promise<void> {
    const orphaned = await this.transactions.run(async (tx) => {
      const row = await this.clips.findClip(id, tx);
      if (!row) throw new NotFoundError('audio clip', id);
      if (row.kind === 'tone')
        throw new ConflictError('clip_builtin', `clip ${id} is a built-in tone and cannot be deleted`, { clipId: id });
      if (!isUnrestricted(user) && row.createdById !== user.id) {
        throw new ForbiddenError(
          'forbidden',
          `clip ${id} was made by another user; only its author or an administrator may delete it`,
          { clipId: id },
        );
      }
      if (row.state === 'processing' || row.state === 'pending')
        throw new ConflictError('clip_processing', `clip ${id} is still being processed`, { clipId: id });
      await this.references.assertUnreferenced(id, tx);
      const keys = await this.clips.deleteClip(id, tx);
      await this.audit.record(
        {
          actor: user,
          action: 'audio_clip.delete',
          entityType: 'audio_clip',
          entityId: id,
          before: { kind: row.kind, title: row.title },
        },
        tx,
      );
      return keys;
    });
    for (const key of orphaned) await this.files.remove(key);
  }

  /** A variant's bytes for a browser: whole, or the one range asked for (206), or 416. */
  async content(id: string, profileId: string | undefined, rangeHeader: string | undefined): Promise<ClipContent> {
    const profile = profileId ?? PREVIEW_PROFILE;
    const generating = await this.tones.ensure(id);
    if (generating)
      throw new ConflictError('clip_processing', `clip ${id} is being generated; poll job ${generating.id}`, {
        clipId: id,
        jobId: generating.id,
      });
    if (!findProfile(profile)) throw ValidationFailedError.field('profile', `unknown codec profile "${profile}"`);
    const variant = (await this.clips.variantsOf([id])).find((v) => v.profile === profile);
    if (!variant) throw new NotFoundError('audio variant', `${id}/${profile}`);
    await this.files.ensure(variant.fileKey).catch(() => undefined);
    const size = await this.files.size(variant.fileKey);
    if (size === null) throw new NotFoundError('audio file', variant.fileKey);
    const base = {
      'Accept-Ranges': 'bytes',
      'Content-Type': variant.mime,
      ETag: `"${variant.sha256}"`,
      'Cache-Control': 'private, max-age=86400',
    };
    const range = parseRange(rangeHeader, size);
    switch (range.kind) {
      case 'full':
        return {
          status: 200,
          headers: { ...base, 'Content-Length': String(size) },
          body: this.files.open(variant.fileKey),
        };
      case 'partial':
        return {
          status: 206,
          headers: {
            ...base,
            'Content-Length': String(range.end - range.start + 1),
            'Content-Range': contentRange(range.start, range.end, size),
          },
          body: this.files.open(variant.fileKey, range.start, range.end),
        };
      case 'unsatisfiable':
        return { status: 416, headers: { ...base, 'Content-Range': `bytes */${size}` }, body: null };
    }
  }
}
