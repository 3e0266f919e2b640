/**
 * The audio of an alert, from the audio library: an uploaded clip, the alert's text spoken (a text-to-speech job
 * started when the alert is written), or a built-in tone. Going on air needs the one clip ready.
 */
import { Injectable } from '@nestjs/common';
import { AudioService } from '../audio/audio.service';
import { TONE_IDS } from '../audio/tones/tone-catalogue';
import { SpeechService } from '../audio/tts/speech.service';
import type { AuthUser } from '../auth/auth-user';
import { ConflictError, DomainError, ValidationFailedError } from '../common/errors';
import type { AlertAudio } from './alert.entities';

export const ALERT_TONE_IDS: readonly string[] = TONE_IDS;

@Injectable()
export class AlertAudioSource {
  constructor(
    private readonly library: AudioService,
    private readonly speech: SpeechService,
  ) {}

  /**
   * The library clip for `audio`: the upload (checked to exist), the tone (its generation started), or a new
   * text-to-speech clip of `text` (its job started); with `toneBefore`, a new clip joining the tone and that message
   * (its job started, waiting for both). `current` is kept when nothing it depends on changed.
   */
  async prepare(
    user: AuthUser,
    audio: AlertAudio,
    text: string,
    title: string,
    current?: { audio: AlertAudio; text: string; clipId: string | null },
  ): Promise<string> {
    if (current?.clipId && sameAudio(current.audio, audio) && (audio.kind !== 'tts' || current.text === text))
      return current.clipId;
    const message = await this.message(user, audio, text, title);
    if (!audio.toneBefore) return message;
    await this.library.get(audio.toneBefore);
    return (await this.library.compose(user, [audio.toneBefore, message], `${audio.toneBefore} + ${title}`)).clip.id;
  }

  private async message(user: AuthUser, audio: AlertAudio, text: string, title: string): Promise<string> {
    switch (audio.kind) {
      case 'clip': {
        const id = audio.clipId ?? '';
        await this.library.get(id).catch((e: unknown) => {
          if (e instanceof DomainError && e.status === 404)
            throw ValidationFailedError.field('audio.clipId', `no audio clip ${id} in the library`);
          throw e;
        });
        return id;
      }
      case 'tone': {
        const id = audio.toneId ?? '';
        await this.library.get(id);
        return id;
      }
      case 'tts': {
        const started = await this.speech.synthesise(user, { text, title });
        return started.clip.id;
      }
    }
  }

  /** Resolves when the clip is no longer being processed (ready or failed) — at once when it is not. */
  async whenSettled(clipId: string): Promise<void> {
    await this.library.settled(clipId);
  }

  /** Refuses (409 `audio_not_ready`, saying why) unless the clip is ready; a built-in tone is generated first. */
  async assertReady(clipId: string | null, wait: boolean): Promise<string> {
    if (!clipId) throw new ConflictError('audio_not_ready', 'the alert has no audio clip', { clipId });
    const isTone = ALERT_TONE_IDS.includes(clipId);
    const clip = wait || isTone ? await this.library.settled(clipId) : await this.library.get(clipId);
    if (clip.state === 'ready') return clipId;
    const what = {
      tts: 'the text-to-speech audio',
      tone: `the tone ${clipId}`,
      composed: 'the tone and message joined',
      upload: `the audio clip ${clipId}`,
    }[clip.kind];
    const why =
      clip.state === 'failed'
        ? `failed: ${clip.error ?? 'unknown reason'}`
        : clip.state === 'processing'
          ? 'is still being processed; try again when it is ready'
          : 'has not been generated (audio features are off on this server)';
    throw new ConflictError('audio_not_ready', `${what} of this alert ${why}`, { clipId, state: clip.state });
  }
}

function sameAudio(a: AlertAudio, b: AlertAudio): boolean {
  return a.kind === b.kind && a.clipId === b.clipId && a.toneId === b.toneId && a.toneBefore === b.toneBefore;
}
