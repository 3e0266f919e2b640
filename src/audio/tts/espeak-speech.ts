/**
 * espeak-ng as the built-in Mandarin voice. The `cmn` voice reads Chinese characters through pinyin with tone
 * digits spoken in English; `cmn-latn-pinyin` speaks them as Mandarin syllables, so it is the voice used here.
 * Text goes through stdin (never through the command line), one utterance per call.
 */
import { Inject, Injectable } from '@nestjs/common';
import { AUDIO_CONFIG } from '../audio.tokens';
import type { AudioConfig } from '../audio-config';
import { AudioProcesses, lastLine, ProcessError } from '../media/audio-processes';
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
      const r = await this.processes.run(this.config.espeakPath, ['--voices=cmn'], { timeoutSeconds: 10 });
      if (r.code !== 0) return `${this.config.espeakPath} failed (${lastLine(r.stderr)})`;
      return r.stdout.includes(ESPEAK_VOICE) ? null : `${this.config.espeakPath} has no ${ESPEAK_VOICE} voice`;
    } catch (e) {
      return `${this.config.espeakPath} is not installed (${(e as Error).message})`;
    }
  }

  async synthesise(text: string, options: SpeechOptions, wavFile: string): Promise<void> {
    const r = await this.processes.run(this.config.espeakPath, [...this.voiceArgs(options), '-w', wavFile], { stdin: [Buffer.from(text, 'utf8')] });
    if (r.code !== 0) throw new ProcessError('espeak-ng', `synthesis failed (${lastLine(r.stderr) || `exit ${r.code}`})`, r.stderr);
  }

  async phonemes(text: string, options: SpeechOptions): Promise<string> {
    const r = await this.processes.run(this.config.espeakPath, [...this.voiceArgs(options), '-q', '-x'], { stdin: [Buffer.from(text, 'utf8')] });
    if (r.code !== 0) throw new ProcessError('espeak-ng', `phoneme listing failed (${lastLine(r.stderr)})`, r.stderr);
    return r.stdout.trim();
  }

  private voiceArgs(options: SpeechOptions): string[] {
    return ['-v', ESPEAK_VOICE, '-s', String(Math.round(options.wordsPerMinute)), '-a', '100', '-b', '1', '--stdin'];
  }
}
