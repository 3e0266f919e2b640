/**
 * The built-in tones as clips with stable ids. Their rows exist from the first start (state `pending`); the audio is
 * generated from the catalogue on first use — when a tone is fetched, previewed or asked for by a feature
 * (`ensure`), or all at once through POST /api/audio/tones/generate — by PCM synthesis streamed into ffmpeg, without
 * loudness normalisation (the tones are made at a known level). Generation runs as a job and happens once: the
 * variants are kept like any clip's.
 */
import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { SYSTEM_ACTOR } from '../../auth/auth-user';
import { AuditService } from '../../audit/audit.service';
import { Transactions } from '../../database/transactions';
import { AudioCapabilitiesService } from '../audio-capabilities.service';
import { AudioJobs, type AudioJob } from '../jobs/audio-jobs';
import { ClipPipeline } from '../library/clip-pipeline';
import { ClipRepository } from '../library/clip.repository';
import { findTone, TONES, toneDuration, type ToneDefinition } from './tone-catalogue';
import { synthesiseTone, TONE_SAMPLE_RATE } from './tone-synth';
import { Clock } from '../../common/clock';

export function describePattern(tone: ToneDefinition): string {
  return tone.segments.map((s) => `${s.on ? 'on' : 'off'} ${s.seconds} s`).join(', ');
}

@Injectable()
export class ToneService implements OnApplicationBootstrap {
  private readonly running = new Map<string, AudioJob>();

  constructor(
    private readonly capabilities: AudioCapabilitiesService,
    private readonly clips: ClipRepository,
    private readonly pipeline: ClipPipeline,
    private readonly jobs: AudioJobs,
    private readonly transactions: Transactions,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /**
   * Registers every tone of the catalogue (cheap: rows only). In a cluster a tone registered by an instance starting at
   * the same moment is no error. A tone a restart interrupted goes back to pending (src/audio/library/interrupted-clips.ts).
   */
  async onApplicationBootstrap(): Promise<void> {
    for (const tone of TONES) {
      if (await this.clips.findClip(tone.id)) continue;
      await this.register(tone).catch(async (e: unknown) => {
        if (!(await this.clips.findClip(tone.id))) throw e;
      });
    }
  }

  private async register(tone: ToneDefinition): Promise<void> {
    await this.transactions.run(async (tx) => {
      await this.clips.insertClip(
        {
          id: tone.id,
          kind: 'tone',
          title: tone.title,
          state: 'pending',
          error: null,
          source: describePattern(tone),
          durationMs: toneDuration(tone) * 1000,
          createdById: null,
          createdAt: this.clock.date(),
        },
        tx,
      );
      await this.audit.record(
        {
          actor: SYSTEM_ACTOR,
          action: 'audio_clip.register_tone',
          entityType: 'audio_clip',
          entityId: tone.id,
          after: { title: tone.title },
        },
        tx,
      );
    });
  }

  /**
   * Starts generating the tone when it is not stored yet (pending or failed before); returns its job, or null when the
   * tone is ready, is not a tone, or tones are off on this server.
   */
  async ensure(id: string): Promise<AudioJob | null> {
    const tone = findTone(id);
    if (!tone) return null;
    const current = this.running.get(id);
    if (current) return this.jobs.get(current.id);
    const row = await this.clips.findClip(id);
    if (!row || row.state === 'ready' || row.state === 'processing') return null;
    if (!(await this.capabilities.current()).features.tones) return null;
    // taken once in a cluster: an instance that finds it taken waits for the row (AudioService.forTerminals)
    if (!(await this.clips.claim(id, [row.state]))) return null;
    const job = this.jobs.start('tone', id, async (h) => {
      try {
        await this.pipeline.produce(
          id,
          { pcm: synthesiseTone(tone), sampleRate: TONE_SAMPLE_RATE },
          { expectedSeconds: toneDuration(tone), onProgress: (p) => h.progress(p) },
        );
      } finally {
        this.running.delete(id);
      }
    });
    this.running.set(id, job);
    return job;
  }

  /** Generates every tone not stored yet; returns the jobs started (or already running). */
  async ensureAll(): Promise<AudioJob[]> {
    const jobs: AudioJob[] = [];
    for (const tone of TONES) {
      const job = await this.ensure(tone.id);
      if (job) jobs.push(job);
    }
    return jobs;
  }
}
