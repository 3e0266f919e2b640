/**
 * The codecs the terminals decode, and how each variant of a clip is encoded for them (pure data).
 * The profile ids are the codec names of firmware-protocols/terminal-modbus/PROTOCOL.md §2.1 (a terminal declares
 * them in its identity block; codec-profiles.spec.ts keeps the two lists equal): every clip is transcoded to every
 * profile here, so any terminal can be sent a variant it decodes. Listed in order of preference for a bus.
 */
/** Codec names as ffprobe reports them. */
export type VariantCodec = 'opus' | 'mp3' | 'pcm_alaw';

export interface CodecProfile {
  /** Stable key stored with each variant and used in URLs. */
  id: string;
  codec: VariantCodec;
  container: 'ogg' | 'mp3' | 'wav';
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

/**
 * Opus at 16 kb/s with the "audio" application: at 12 kb/s and below, and with "voip", libopus uses its SILK speech
 * model, which was measured here to cut sirens into pieces (frames at a tenth of the level inside an "on" segment);
 * at 16 kb/s in "audio" mode the sirens stay whole and speech stays clear.
 */
export const CODEC_PROFILES: readonly CodecProfile[] = [
  {
    id: 'opus-16k',
    codec: 'opus',
    container: 'ogg',
    extension: 'ogg',
    mime: 'audio/ogg; codecs=opus',
    bitrate: 16_000,
    sampleRate: 16_000,
    channels: 1,
    purpose: 'stored clips transferred to terminals over RS-485 buses',
    encoderArgs: [
      '-ac',
      '1',
      '-ar',
      '16000',
      '-c:a',
      'libopus',
      '-b:a',
      '16000',
      '-vbr',
      'off',
      '-application',
      'audio',
      '-f',
      'ogg',
    ],
  },
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
  {
    id: 'pcm-alaw-8k',
    codec: 'pcm_alaw',
    container: 'wav',
    extension: 'wav',
    mime: 'audio/wav',
    bitrate: 64_000,
    sampleRate: 8_000,
    channels: 1,
    purpose: 'legacy terminals decoding G.711 A-law (in a WAV container)',
    encoderArgs: ['-ac', '1', '-ar', '8000', '-c:a', 'pcm_alaw', '-f', 'wav'],
  },
];

export function findProfile(id: string): CodecProfile | undefined {
  return CODEC_PROFILES.find((p) => p.id === id);
}
