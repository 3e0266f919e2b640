/**
 * Which audio tools serve this server, checked once at start: ffmpeg (with the libopus and libmp3lame encoders the
 * codec profiles need), ffprobe, and the speech provider. The server starts without them; the features they carry
 * are reported off (log line and /api/audio/capabilities) and refused with 503 until the tools are installed.
 */
import { Inject, Injectable } from '@nestjs/common';
import { AUDIO_CONFIG, SPEECH_PROVIDER } from '../audio.tokens';
import type { AudioConfig } from '../audio-config';
import type { SpeechProvider } from '../tts/speech-provider';
import { AudioProcesses, lastLine } from './audio-processes';

export interface ToolStatus {
  name: string;
  available: boolean;
  /** First line of `-version`, or why it is missing. */
  detail: string;
  /** Where the tool comes from: configured path, npm package or PATH (media/tool-resolution.ts). */
  origin: string;
}

export type AudioFeature = 'upload' | 'tts' | 'tones' | 'preview';

export interface AudioCapabilities {
  tools: ToolStatus[];
  features: Record<AudioFeature, boolean>;
  /** Each feature that is off, with the reason. */
  off: { feature: AudioFeature; reason: string }[];
}

const NEEDED_ENCODERS = ['libopus', 'libmp3lame', 'pcm_alaw'];

@Injectable()
export class AudioTools {
  constructor(
    private readonly processes: AudioProcesses,
    @Inject(AUDIO_CONFIG) private readonly config: AudioConfig,
    @Inject(SPEECH_PROVIDER) private readonly speech: SpeechProvider,
  ) {}

  async detect(): Promise<AudioCapabilities> {
    const [ffmpeg, ffprobe, speechReason] = await Promise.all([
      this.ffmpeg(),
      this.version('ffprobe', this.config.ffprobePath, this.config.tools.ffprobe.origin),
      this.speech.unavailableReason(),
    ]);
    const speech: ToolStatus = {
      name: this.speech.name,
      available: speechReason === null,
      detail: speechReason ?? (await this.speech.version()),
      origin: this.config.tools.espeak.origin,
    };
    const tools = [ffmpeg, ffprobe, speech];
    const missing = (list: ToolStatus[]): string | null => {
      const absent = list.filter((t) => !t.available);
      return absent.length === 0 ? null : absent.map((t) => `${t.name}: ${t.detail}`).join('; ');
    };
    const reasons: Record<AudioFeature, string | null> = {
      upload: missing([ffmpeg, ffprobe]),
      tts: missing([ffmpeg, ffprobe, speech]),
      tones: missing([ffmpeg, ffprobe]),
      preview: null,
    };
    const features = { upload: !reasons.upload, tts: !reasons.tts, tones: !reasons.tones, preview: true };
    const off = (Object.keys(reasons) as AudioFeature[]).flatMap((feature) => {
      const reason = reasons[feature];
      return reason ? [{ feature, reason }] : [];
    });
    return { tools, features, off };
  }

  private async version(name: string, path: string, origin: string): Promise<ToolStatus> {
    try {
      const r = await this.processes.run(path, ['-hide_banner', '-version'], { timeoutSeconds: 10 });
      if (r.code !== 0) return { name, available: false, detail: `${path} failed (${lastLine(r.stderr)})`, origin };
      return { name, available: true, detail: r.stdout.split('\n')[0], origin };
    } catch (e) {
      return { name, available: false, detail: `${path} is not installed (${(e as Error).message})`, origin };
    }
  }

  private async ffmpeg(): Promise<ToolStatus> {
    const status = await this.version('ffmpeg', this.config.ffmpegPath, this.config.tools.ffmpeg.origin);
    if (!status.available) return status;
    const r = await this.processes.run(this.config.ffmpegPath, ['-hide_banner', '-encoders'], { timeoutSeconds: 10 });
    const absent = NEEDED_ENCODERS.filter((e) => !r.stdout.includes(` ${e} `));
    return absent.length === 0
      ? status
      : { ...status, available: false, detail: `ffmpeg lacks the ${absent.join(' and ')} encoder(s)` };
  }
}
