/**
 * The codecs the terminals decode, and how each variant of a clip is encoded for them (pure data).
 * Agrees with firmware-protocols/terminal-modbus/PROTOCOL.md (the codec list a terminal declares): every clip is
 * transcoded to every profile here, so any terminal can be sent the variant it declares.
 */
export type VariantCodec = 'opus' | 'mp3';

export interface CodecProfile {
  /** Stable key stored with each variant and used in URLs. */
  id: string;
  codec: VariantCodec;
  container: 'ogg' | 'mp3';
  extension: string;
  mime: string;
  /** Target bit rate in bit/s (constant bit rate). */
  bitrate: number;
  sampleRate: number;
  channels: 1;
  purpose: string;
  /** ffmpeg output options (after the input and filters). */
  encoderArgs: readonly string[];
}

function opus(id: string, bitrate: number, sampleRate: number, purpose: string): CodecProfile {
  return {
    id,
    codec: 'opus',
    container: 'ogg',
    extension: 'ogg',
    mime: 'audio/ogg; codecs=opus',
    bitrate,
    sampleRate,
    channels: 1,
    purpose,
    encoderArgs: ['-ac', '1', '-ar', String(sampleRate), '-c:a', 'libopus', '-b:a', String(bitrate), '-vbr', 'off', '-application', 'voip', '-f', 'ogg'],
  };
}

export const CODEC_PROFILES: readonly CodecProfile[] = [
  opus('opus-8k', 8_000, 8_000, 'stored clips over slow RS-485 buses (9,600–19,200 baud)'),
  opus('opus-16k', 16_000, 16_000, 'stored clips over RS-485 buses (38,400 baud and faster)'),
  {
    id: 'mp3-64k',
    codec: 'mp3',
    container: 'mp3',
    extension: 'mp3',
    mime: 'audio/mpeg',
    bitrate: 64_000,
    sampleRate: 44_100,
    channels: 1,
    purpose: 'IP terminals (stream or download) and browser previews',
    encoderArgs: ['-ac', '1', '-ar', '44100', '-c:a', 'libmp3lame', '-b:a', '64k', '-f', 'mp3'],
  },
];

export function findProfile(id: string): CodecProfile | undefined {
  return CODEC_PROFILES.find((p) => p.id === id);
}
