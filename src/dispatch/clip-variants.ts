/**
 * Which variant of a library clip each terminal gets: terminals grouped by the codecs they decode, each group with the
 * variant the audio library chooses for it (its id is the clip id on the terminal) and how long one play lasts.
 * Dispatch and tone provisioning ask the same question, so a tone stored beforehand is the very one an alert plays.
 */
import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { AudioService } from '../audio/audio.service';
import { CODEC_PROFILES } from '../audio/media/codec-profiles';
import { findTone } from '../audio/tones/tone-catalogue';
import { TERMINAL_STOCK, type StockClip, type TerminalStock } from '../field/field.tokens';
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
  private readonly log = new Logger('ClipVariants');
  /** terminalId:clipId pairs already handed to the terminal stock. */
  private readonly stocked = new Set<string>();

  constructor(
    private readonly repo: DispatchRepository,
    private readonly audio: AudioService,
    @Optional() @Inject(TERMINAL_STOCK) private readonly stock: TerminalStock | null = null,
  ) {}

  async forTerminals(libraryClipId: string, terminalIds: number[]): Promise<VariantGroup[]> {
    const groups = await this.variantGroups(libraryClipId, terminalIds);
    if (findTone(libraryClipId)) await this.stockTerminals(groups);
    return groups;
  }

  /**
   * Where terminals can be stocked off the line (the demo county stands for one provisioned at installation), each
   * gets its variant of a built-in tone before anyone asks it over the line, once; uploads and speech never are.
   */
  private async stockTerminals(groups: VariantGroup[]): Promise<void> {
    if (!this.stock) return;
    const clips: StockClip[] = [];
    for (const { clip, terminalIds } of groups) {
      if (!clip) continue;
      for (const terminalId of terminalIds) {
        const key = `${terminalId}:${clip.clipId}`;
        if (this.stocked.has(key)) continue;
        this.stocked.add(key);
        clips.push({
          terminalId,
          clipId: clip.clipId,
          codec: clip.codec,
          digest: clip.digest,
          size: clip.data.length,
          durationMs: clip.durationMs,
        });
      }
    }
    if (clips.length === 0) return;
    try {
      const held = await this.stock.stock(clips);
      if (held > 0) this.log.log(`${held} terminals hold a built-in tone as installed`);
    } catch (e) {
      this.log.warn(`stocking terminals with a built-in tone failed: ${(e as Error).message}`);
    }
  }

  private async variantGroups(libraryClipId: string, terminalIds: number[]): Promise<VariantGroup[]> {
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
          return {
            terminalIds: g.ids,
            clip: { clipId: c.clipId, codec: c.profile, digest: c.digest, data: c.data, durationMs },
            error: null,
          };
        } catch (e) {
          return { terminalIds: g.ids, clip: null, error: (e as Error).message.slice(0, 255) };
        }
      }),
    );
  }
}
