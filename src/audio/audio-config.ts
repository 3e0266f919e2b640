/**
 * The audio library's configuration, validated at boot (fail fast, naming the variable). Read from the environment
 * next to the server's AppConfig; the folder for clips is <DALABA_DATA_DIR>/audio.
 */
import { join } from 'node:path';
import { ConfigError } from '../config/env-values';
import type { VariableDoc } from '../config/variables';
import { resolveAudioTools, type AudioToolSet, type ResolvedTool } from './media/tool-resolution';

export interface AudioConfig {
  /** Content-addressed clip files: <dataDir>/audio/<sha256[0..2]>/<sha256>.<ext>; work files under <dataDir>/audio/tmp. */
  clipDir: string;
  maxUploadBytes: number;
  maxSeconds: number;
  /** Maximum characters of one text-to-speech request. */
  maxTtsChars: number;
  /** EBU R128 integrated loudness target, LUFS. */
  loudnessTarget: number;
  /** True-peak ceiling, dBTP. */
  truePeak: number;
  /** ffmpeg/ffprobe/espeak-ng processes running at once. */
  maxProcesses: number;
  /** Deadline of one child process, seconds. */
  processTimeoutSeconds: number;
  /** Resolved at boot: configured path, else the npm-shipped tool, else PATH (media/tool-resolution.ts). */
  ffmpegPath: string;
  ffprobePath: string;
  espeak: ResolvedTool;
  tools: AudioToolSet;
}

export const AUDIO_VARIABLES: readonly VariableDoc[] = [
  {
    name: 'AUDIO_MAX_UPLOAD_BYTES',
    default: '52428800',
    secret: false,
    description: 'Largest accepted upload in bytes.',
  },
  {
    name: 'AUDIO_MAX_SECONDS',
    default: '900',
    secret: false,
    description: 'Longest accepted recording or synthesised text, seconds.',
  },
  {
    name: 'AUDIO_MAX_TTS_CHARS',
    default: '2000',
    secret: false,
    description: 'Longest text for text-to-speech, characters.',
  },
  {
    name: 'AUDIO_LOUDNESS_LUFS',
    default: '-16',
    secret: false,
    description: 'EBU R128 loudness target of every clip (-70 to -5).',
  },
  { name: 'AUDIO_TRUE_PEAK_DBTP', default: '-1.5', secret: false, description: 'True-peak ceiling (-9 to 0).' },
  {
    name: 'AUDIO_MAX_PROCESSES',
    default: '2',
    secret: false,
    description: 'ffmpeg/ffprobe/espeak-ng processes at once.',
  },
  {
    name: 'AUDIO_PROCESS_TIMEOUT',
    default: '600',
    secret: false,
    description: 'Deadline of one audio process, seconds.',
  },
  {
    name: 'AUDIO_FFMPEG',
    default: '(npm @ffmpeg-installer/ffmpeg)',
    secret: false,
    description: 'ffmpeg executable; unset: the npm-shipped binary, else `ffmpeg` on PATH.',
  },
  {
    name: 'AUDIO_FFPROBE',
    default: '(npm @ffprobe-installer/ffprobe)',
    secret: false,
    description: 'ffprobe executable; unset: the npm-shipped binary, else `ffprobe` on PATH.',
  },
  {
    name: 'AUDIO_ESPEAK',
    default: '(npm espeak-ng WebAssembly)',
    secret: false,
    description: 'espeak-ng executable; unset: espeak-ng compiled to WebAssembly from npm, else `espeak-ng` on PATH.',
  },
];

type Env = Record<string, string | undefined>;

function raw(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function numberVar(env: Env, name: string, fallback: number, min: number, max: number, whole = true): number {
  const v = raw(env, name);
  if (v === undefined) return fallback;
  const pattern = whole ? /^\d+$/ : /^-?\d+(\.\d+)?$/;
  if (!pattern.test(v)) throw new ConfigError(name, `must be a ${whole ? 'whole ' : ''}number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
  return n;
}

export function loadAudioConfig(env: Env, dataDir: string): AudioConfig {
  const tools = resolveAudioTools({
    ffmpeg: raw(env, 'AUDIO_FFMPEG'),
    ffprobe: raw(env, 'AUDIO_FFPROBE'),
    espeak: raw(env, 'AUDIO_ESPEAK'),
  });
  return {
    clipDir: join(dataDir, 'audio'),
    maxUploadBytes: numberVar(env, 'AUDIO_MAX_UPLOAD_BYTES', 50 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    maxSeconds: numberVar(env, 'AUDIO_MAX_SECONDS', 900, 1, 4 * 3600),
    maxTtsChars: numberVar(env, 'AUDIO_MAX_TTS_CHARS', 2000, 1, 100_000),
    loudnessTarget: numberVar(env, 'AUDIO_LOUDNESS_LUFS', -16, -70, -5, false),
    truePeak: numberVar(env, 'AUDIO_TRUE_PEAK_DBTP', -1.5, -9, 0, false),
    maxProcesses: numberVar(env, 'AUDIO_MAX_PROCESSES', 2, 1, 64),
    processTimeoutSeconds: numberVar(env, 'AUDIO_PROCESS_TIMEOUT', 600, 5, 24 * 3600),
    ffmpegPath: tools.ffmpeg.path,
    ffprobePath: tools.ffprobe.path,
    espeak: tools.espeak,
    tools,
  };
}
