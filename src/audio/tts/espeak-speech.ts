/**
 * espeak-ng as the built-in Mandarin voice. The `cmn` voice reads Chinese characters through pinyin with tone
 * digits spoken in English; `cmn-latn-pinyin` speaks them as Mandarin syllables, so it is the voice used here.
 * Text goes through stdin (never through the command line), one utterance per call. The engine is the one
 * media/tool-resolution.ts picked: a configured executable, espeak-ng compiled to WebAssembly from npm, or PATH.
 */
import { Inject, Injectable } from '@nestjs/common';
import { AUDIO_CONFIG } from '../audio.tokens';
import type { AudioConfig } from '../audio-config';
import { AudioProcesses, lastLine, ProcessError, type RunOptions, type RunResult } from '../media/audio-processes';
import type { SpeechOptions, SpeechProvider } from './speech-provider';

export const ESPEAK_VOICE = 'cmn-latn-pinyin';

@Injectable()
export class EspeakSpeech implements SpeechProvider {
  readonly name = `espeak-ng (${ESPEAK_VOICE})`;

  constructor(
    private readonly processes: AudioProcesses,
    @Inject(AUDIO_CONFIG) private readonly config: AudioConfig,
  ) {}

  async unavailableReason(): Promise<string | null> {
    try {
      const r = await this.run(['--voices=cmn'], { timeoutSeconds: 10 });
      if (r.code !== 0) return `${this.label} failed (${lastLine(r.stderr)})`;
      return r.stdout.includes(ESPEAK_VOICE) ? null : `${this.label} has no ${ESPEAK_VOICE} voice`;
    } catch (e) {
      return `${this.label} is not installed (${(e as Error).message})`;
    }
  }

  /** First line of `--version`: which engine speaks (shown by /health and the start summary). */
  async version(): Promise<string> {
    const r = await this.run(['--version'], { timeoutSeconds: 10 });
    return r.code === 0 ? r.stdout.split('\n')[0].trim() : `${this.label} failed (${lastLine(r.stderr)})`;
  }

  private get label(): string {
    return this.config.espeak.source === 'npm' ? 'espeak-ng (WebAssembly)' : this.config.espeak.path;
  }

  private run(args: string[], options: RunOptions): Promise<RunResult> {
    return this.processes.run(this.config.espeak.path, [...this.config.espeak.prefixArgs, ...args], options);
  }

  async synthesise(text: string, options: SpeechOptions, wavFile: string): Promise<void> {
    const r = await this.run([...this.voiceArgs(options), '-w', wavFile], { stdin: [Buffer.from(text, 'utf8')] });
    if (r.code !== 0)
      throw new ProcessError('espeak-ng', `synthesis failed (${lastLine(r.stderr) || `exit ${r.code}`})`, r.stderr);
  }

  async phonemes(text: string, options: SpeechOptions): Promise<string> {
    const r = await this.run([...this.voiceArgs(options), '-q', '-x'], { stdin: [Buffer.from(text, 'utf8')] });
    if (r.code !== 0) throw new ProcessError('espeak-ng', `phoneme listing failed (${lastLine(r.stderr)})`, r.stderr);
    return r.stdout.trim();
  }

  private voiceArgs(options: SpeechOptions): string[] {
    return ['-v', ESPEAK_VOICE, '-s', String(Math.round(options.wordsPerMinute)), '-a', '100', '-b', '1', '--stdin'];
  }
}
