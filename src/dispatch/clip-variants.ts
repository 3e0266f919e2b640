/**
 * Which variant of a library clip each terminal gets: terminals grouped by the codecs they decode, each group with the
 * variant the audio library chooses for it (its id is the clip id on the terminal) and how long one play lasts.
 * Dispatch and tone provisioning ask the same question, so a tone stored beforehand is the very one an alert plays.
 */
import { Injectable } from '@nestjs/common';
import { AudioService } from '../audio/audio.service';
import { CODEC_PROFILES } from '../audio/media/codec-profiles';
import type { ClipVariant } from './broadcast-run';
import { DispatchRepository } from './dispatch.repository';

const ALL_CODECS = CODEC_PROFILES.map((p) => p.id);

export interface VariantGroup {
  terminalIds: number[];
  clip: ClipVariant | null;
  /** Why the group has no variant (clip not ready, no codec the terminals decode …). */
  error: string | null;
}

@Injectable()
export class ClipVariants {
  constructor(
    private readonly repo: DispatchRepository,
    private readonly audio: AudioService,
  ) {}

  async forTerminals(libraryClipId: string, terminalIds: number[]): Promise<VariantGroup[]> {
    const groups = new Map<string, { codecs: string[]; ids: number[] }>();
    for (const t of await this.repo.terminals(terminalIds)) {
      const codecs = t.capabilities?.codecs?.length ? t.capabilities.codecs : ALL_CODECS;
      const key = codecs.join(',');
      const g = groups.get(key) ?? { codecs, ids: [] };
      g.ids.push(t.id);
      groups.set(key, g);
    }
    let libraryMs = 0;
    try {
      libraryMs = (await this.audio.get(libraryClipId)).durationMs ?? 0;
    } catch {
      // forTerminals below says what is wrong with the clip
    }
    return Promise.all(
      [...groups.values()].map(async (g) => {
        try {
          const c = await this.audio.forTerminals(libraryClipId, g.codecs);
          const bitrate = CODEC_PROFILES.find((p) => p.id === c.profile)?.bitrate ?? 16_000;
          // a terminal plays a stored clip for its size at the profile's bit rate; the library's length is the floor
          const durationMs = Math.max(libraryMs, Math.round((c.data.length * 8000) / bitrate));
          return { terminalIds: g.ids, clip: { clipId: c.clipId, codec: c.profile, digest: c.digest, data: c.data, durationMs }, error: null };
        } catch (e) {
          return { terminalIds: g.ids, clip: null, error: (e as Error).message.slice(0, 255) };
        }
      }),
    );
  }
}
