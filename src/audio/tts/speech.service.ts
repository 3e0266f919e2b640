/**
 * Mandarin text-to-speech into a clip: the text is normalised (dates, times, numbers read the Chinese way), spoken by
 * the provider into a work WAV, measured, then encoded like any upload with the volume applied on top of the
 * loudness target. Runs as a job with progress: synthesis 0–30 %, analysis 30–40 %, encoding 40–100 %.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { AuthUser } from '../../auth/auth-user';
import { ValidationFailedError } from '../../common/errors';
import { AUDIO_CONFIG, SPEECH_PROVIDER } from '../audio.tokens';
import type { AudioConfig } from '../audio-config';
import { AudioCapabilitiesService } from '../audio-capabilities.service';
import { AudioService, type ClipStarted } from '../audio.service';
import { AudioJobs } from '../jobs/audio-jobs';
import { ClipFiles } from '../library/clip-files';
import { ClipPipeline } from '../library/clip-pipeline';
import { clipView } from '../library/clip-view';
import { Ffmpeg } from '../media/ffmpeg';
import { normaliseChineseText } from './normalise-text';
import type { SpeechProvider } from './speech-provider';

export interface SpeechRequest {
  text: string;
  title?: string;
  /** 0.5–2.0, 1 = a calm announcement pace (150 words per minute). */
  speed?: number;
  /** 10–200 %, 100 = the loudness target. */
  volume?: number;
}

export const BASE_WORDS_PER_MINUTE = 150;

export function gainDbOf(volumePercent: number): number {
  return 20 * Math.log10(volumePercent / 100);
}

@Injectable()
export class SpeechService {
  constructor(
    @Inject(AUDIO_CONFIG) private readonly config: AudioConfig,
    @Inject(SPEECH_PROVIDER) private readonly provider: SpeechProvider,
    private readonly capabilities: AudioCapabilitiesService,
    private readonly library: AudioService,
    private readonly ffmpeg: Ffmpeg,
    private readonly files: ClipFiles,
    private readonly pipeline: ClipPipeline,
    private readonly jobs: AudioJobs,
  ) {}

  /** The text exactly as the engine will receive it. */
  spokenText(text: string): string {
    return normaliseChineseText(text.trim());
  }

  async phonemes(text: string, speed = 1): Promise<{ spokenText: string; phonemes: string }> {
    await this.capabilities.require('tts');
    const spokenText = this.checkedText(text);
    return {
      spokenText,
      phonemes: await this.provider.phonemes(spokenText, { wordsPerMinute: BASE_WORDS_PER_MINUTE * speed }),
    };
  }

  async synthesise(user: AuthUser, request: SpeechRequest): Promise<ClipStarted> {
    await this.capabilities.require('tts');
    const spoken = this.checkedText(request.text);
    const wordsPerMinute = BASE_WORDS_PER_MINUTE * (request.speed ?? 1);
    const gainDb = gainDbOf(request.volume ?? 100);
    const title = request.title?.trim() || request.text.trim().slice(0, 40);
    const clip = await this.library.createClip(user, 'tts', title, request.text.trim());
    const job = this.jobs.start('tts', clip.id, async (h) => {
      const wav = await this.files.workPath('wav');
      try {
        h.progress(1);
        await this.provider.synthesise(spoken, { wordsPerMinute }, wav);
        h.progress(30);
        const probed = await this.ffmpeg.probe(wav);
        if (!probed.ok) throw new Error(`the speech engine produced no audio: ${probed.reason}`);
        const seconds = probed.probe.declaredSeconds ?? 0;
        if (seconds > this.config.maxSeconds)
          throw new Error(
            `the spoken text lasts ${seconds.toFixed(1)} s, longer than the limit of ${this.config.maxSeconds} s`,
          );
        const decoded = await this.ffmpeg.analyse(wav, seconds, (p) => h.progress(30 + p / 10));
        await this.pipeline.produce(
          clip.id,
          { file: wav },
          {
            loudness: decoded.loudness ?? undefined,
            gainDb,
            expectedSeconds: decoded.decodedSeconds,
            onProgress: (p) => h.progress(40 + (p * 6) / 10),
          },
        );
      } catch (e) {
        await this.library.markFailed(clip.id, (e as Error).message);
        throw e;
      } finally {
        await this.files.discard(wav);
      }
    });
    return { clip: clipView(clip, []), job };
  }

  private checkedText(text: string): string {
    const trimmed = text.trim();
    if (trimmed === '') throw ValidationFailedError.field('text', 'text is empty');
    if ([...trimmed].length > this.config.maxTtsChars) {
      throw ValidationFailedError.field(
        'text',
        `text has ${[...trimmed].length} characters, more than the limit of ${this.config.maxTtsChars}`,
      );
    }
    const spoken = this.spokenText(trimmed);
    if (!/[\u3400-\u9fff]/.test(spoken))
      throw ValidationFailedError.field('text', 'text holds no Chinese characters to speak');
    return spoken;
  }
}
