/** The audio features this server offers, detected once at start and logged; features that are off refuse with 503. */
import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { DomainError } from '../common/errors';
import { AudioTools, type AudioCapabilities, type AudioFeature } from './media/audio-tools';

export class AudioUnavailableError extends DomainError {
  constructor(feature: AudioFeature, reason: string) {
    super('audio_unavailable', `audio feature "${feature}" is off on this server: ${reason}`, 503, { feature, reason });
  }
}

@Injectable()
export class AudioCapabilitiesService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Audio');
  private detected: Promise<AudioCapabilities> | null = null;

  constructor(private readonly tools: AudioTools) {}

  async onApplicationBootstrap(): Promise<void> {
    const caps = await this.current();
    if (caps.off.length === 0) {
      this.logger.log(
        `audio features on: upload, tts, tones, preview (${caps.tools.map((t) => `${t.detail} [${t.origin}]`).join('; ')})`,
      );
    } else {
      this.logger.warn(`audio features off: ${caps.off.map((o) => `${o.feature} (${o.reason})`).join(', ')}`);
    }
  }

  current(): Promise<AudioCapabilities> {
    this.detected ??= this.tools.detect();
    return this.detected;
  }

  async require(feature: AudioFeature): Promise<void> {
    const caps = await this.current();
    const off = caps.off.find((o) => o.feature === feature);
    if (off) throw new AudioUnavailableError(feature, off.reason);
  }
}
