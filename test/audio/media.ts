/**
 * Test media made with ffmpeg, and measurements read back with ffprobe and decoded samples: the same tools the server
 * resolves (the npm-shipped binaries unless AUDIO_FFMPEG/AUDIO_FFPROBE say otherwise), so these run on a bare machine.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveAudioTools } from '../../src/audio/media/tool-resolution';

const run = promisify(execFile);
const tools = resolveAudioTools({ ffmpeg: process.env.AUDIO_FFMPEG, ffprobe: process.env.AUDIO_FFPROBE });
const FFMPEG = tools.ffmpeg.path;
const FFPROBE = tools.ffprobe.path;

/** A spoken-band test signal (two tones and noise) encoded as MP3 at 128 kb/s. */
export async function makeMp3(file: string, seconds: number): Promise<void> {
  await run(FFMPEG, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=330:duration=${seconds}:sample_rate=44100`,
    '-f',
    'lavfi',
    '-i',
    `anoisesrc=d=${seconds}:c=pink:a=0.05:r=44100`,
    '-filter_complex',
    '[0:a][1:a]amix=inputs=2',
    '-ac',
    '1',
    '-c:a',
    'libmp3lame',
    '-b:a',
    '128k',
    file,
  ]);
}

/** A short spoken-band signal in any container/codec ffmpeg can write (WAV, M4A/AAC, OGG/Vorbis or Opus …). */
export async function makeClip(file: string, seconds: number, codecArgs: string[]): Promise<void> {
  await run(FFMPEG, [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=440:duration=${seconds}:sample_rate=22050`,
    '-ac',
    '1',
    ...codecArgs,
    file,
  ]);
}

/**
 * An AMR-NB file (what many phones record) built frame by frame, since Debian's ffmpeg has no AMR encoder: the
 * "#!AMR\n" magic, then 20 ms frames of mode 7 (12.2 kb/s: header 0x3C and 31 bytes of speech parameters).
 */
export function amrNb(seconds: number): Buffer {
  const frames: Buffer[] = [Buffer.from('#!AMR\n')];
  let x = 1;
  for (let i = 0; i < Math.round(seconds * 50); i++) {
    const frame = Buffer.alloc(32);
    frame[0] = 0x3c;
    for (let k = 1; k < 32; k++) {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      frame[k] = (x >> 16) & 0xff;
    }
    frames.push(frame);
  }
  return Buffer.concat(frames);
}

export interface Probed {
  codec: string;
  seconds: number;
  streamBitrate: number | null;
  formatBitrate: number;
  sampleRate: number;
  channels: number;
}

export async function probe(file: string): Promise<Probed> {
  const { stdout } = await run(FFPROBE, ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file]);
  const j = JSON.parse(stdout);
  const s = j.streams.find((x: { codec_type: string }) => x.codec_type === 'audio');
  const num = (v: unknown) => (v === undefined || v === 'N/A' ? null : Number(v));
  return {
    codec: s.codec_name,
    seconds: Number(s.duration ?? j.format.duration),
    streamBitrate: num(s.bit_rate),
    formatBitrate: Number(j.format.bit_rate),
    sampleRate: Number(s.sample_rate),
    channels: s.channels,
  };
}

/** Integrated loudness (LUFS) measured by ffmpeg's ebur128 filter. */
export async function loudness(file: string): Promise<number> {
  const { stderr } = await run(FFMPEG, ['-hide_banner', '-nostats', '-i', file, '-af', 'ebur128', '-f', 'null', '-'], {
    maxBuffer: 64 * 1024 * 1024,
  });
  const m = /Integrated loudness:\s+I:\s+(-?[\d.]+) LUFS/.exec(stderr);
  if (!m) throw new Error(`no loudness in ffmpeg output: ${stderr.slice(-500)}`);
  return Number(m[1]);
}

/** Decodes to mono signed 16-bit samples at `rate`. */
export async function decode(file: string, rate: number): Promise<Int16Array> {
  const { stdout } = await run(
    FFMPEG,
    ['-v', 'error', '-i', file, '-ac', '1', '-ar', String(rate), '-f', 's16le', '-'],
    { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 },
  );
  return new Int16Array(stdout.buffer, stdout.byteOffset, Math.floor(stdout.byteLength / 2));
}

export interface Segment {
  on: boolean;
  start: number;
  end: number;
}

/**
 * The on/off envelope: RMS over 5 ms windows, "on" above a tenth of the loudest window's RMS; runs shorter than
 * 50 ms are merged into their neighbours (codec ringing at the edges). Times in seconds.
 */
export function envelope(samples: Int16Array, rate: number): Segment[] {
  const win = Math.round(rate * 0.005);
  const rms: number[] = [];
  for (let i = 0; i + win <= samples.length; i += win) {
    let sum = 0;
    for (let k = i; k < i + win; k++) sum += samples[k] * samples[k];
    rms.push(Math.sqrt(sum / win));
  }
  const threshold = Math.max(...rms) / 10;
  const segments: Segment[] = [];
  rms.forEach((v, n) => {
    const on = v > threshold;
    const last = segments[segments.length - 1];
    if (last && last.on === on) last.end = ((n + 1) * win) / rate;
    else segments.push({ on, start: (n * win) / rate, end: ((n + 1) * win) / rate });
  });
  const merged: Segment[] = [];
  for (const s of segments) {
    const last = merged[merged.length - 1];
    if (last && (s.end - s.start < 0.05 || last.on === s.on)) last.end = s.end;
    else if (last && last.end - last.start < 0.05)
      Object.assign(last, { on: s.on, end: s.end }); // a short first run
    else merged.push({ ...s });
  }
  return merged;
}
