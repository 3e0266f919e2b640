/**
 * ffprobe and ffmpeg behind one adapter: probe an upload, decode it once (loudness analysis + truncation check), and
 * encode a source (a file, or raw PCM from the tone synthesiser) into every codec profile in one ffmpeg process,
 * loudness-normalised (EBU R128, loudnorm second pass in linear mode) and reporting progress from `-progress`.
 */
import { Inject, Injectable } from '@nestjs/common';
import { AUDIO_CONFIG } from '../audio.tokens';
import type { AudioConfig } from '../audio-config';
import { AudioProcesses, lastLine, ProcessError } from './audio-processes';
import type { CodecProfile } from './codec-profiles';
import { ProgressReader } from './ffmpeg-progress';
import {
  parseLoudnormJson,
  parseProbeJson,
  type DecodeResult,
  type LoudnessMeasurement,
  type ProbeResult,
} from './probe';

export type ProbeOutcome = { ok: true; probe: ProbeResult } | { ok: false; reason: string };

export type EncodeSource = { file: string } | { pcm: Iterable<Int16Array>; sampleRate: number };

export interface EncodeOutput {
  profile: CodecProfile;
  file: string;
}

export interface EncodeOptions {
  /** Loudness normalisation with the measurement of the analysis pass; omitted for material made at a known level. */
  loudness?: LoudnessMeasurement;
  /** Extra gain in dB after normalisation (text-to-speech volume). */
  gainDb?: number;
  expectedSeconds: number;
  onProgress?: (percent: number) => void;
}

/** What ffprobe says about one encoded file (used to record each variant's real duration). */
export interface MediaFacts {
  codecName: string;
  seconds: number;
  bitrate: number | null;
}

const toBytes = function* (chunks: Iterable<Int16Array>): Generator<Uint8Array> {
  for (const c of chunks) yield new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
};

@Injectable()
export class Ffmpeg {
  constructor(
    private readonly processes: AudioProcesses,
    @Inject(AUDIO_CONFIG) private readonly config: AudioConfig,
  ) {}

  async probe(file: string): Promise<ProbeOutcome> {
    const r = await this.processes.run(
      this.config.ffprobePath,
      ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file],
      { timeoutSeconds: 30 },
    );
    if (r.code !== 0)
      return { ok: false, reason: `not a decodable audio file (${lastLine(r.stderr) || `ffprobe exit ${r.code}`})` };
    let probe: ProbeResult | null;
    try {
      probe = parseProbeJson(r.stdout);
    } catch {
      return { ok: false, reason: 'not a decodable audio file (ffprobe gave no readable answer)' };
    }
    return probe ? { ok: true, probe } : { ok: false, reason: 'the file holds no audio stream' };
  }

  /** Decodes the whole file once: how long it really is, and its loudness. */
  async analyse(file: string, expectedSeconds: number, onProgress?: (percent: number) => void): Promise<DecodeResult> {
    const progress = new ProgressReader(expectedSeconds);
    const filter = `loudnorm=I=${this.config.loudnessTarget}:TP=${this.config.truePeak}:LRA=11:print_format=json`;
    const r = await this.processes.run(
      this.config.ffmpegPath,
      [
        '-hide_banner',
        '-nostdin',
        '-nostats',
        '-v',
        'info',
        '-progress',
        'pipe:1',
        '-i',
        file,
        '-vn',
        '-af',
        filter,
        '-f',
        'null',
        '-',
      ],
      { onStdout: (c) => report(progress.feed(c), onProgress) },
    );
    if (r.code !== 0) throw new ProcessError('ffmpeg', `cannot decode (${lastLine(r.stderr)})`, r.stderr);
    return { decodedSeconds: progress.seconds, loudness: parseLoudnormJson(r.stderr) };
  }

  /** Encodes the source into every output in one process. */
  async encode(source: EncodeSource, outputs: readonly EncodeOutput[], options: EncodeOptions): Promise<void> {
    const progress = new ProgressReader(options.expectedSeconds);
    const input =
      'file' in source
        ? ['-i', source.file]
        : ['-f', 's16le', '-ar', String(source.sampleRate), '-ac', '1', '-i', 'pipe:0'];
    const filters: string[] = [];
    const loudness = options.loudness;
    if (loudness) {
      filters.push(
        `loudnorm=I=${this.config.loudnessTarget}:TP=${this.config.truePeak}:LRA=11:measured_I=${loudness.inputI}:measured_TP=${loudness.inputTp}` +
          `:measured_LRA=${loudness.inputLra}:measured_thresh=${loudness.inputThresh}:offset=${loudness.targetOffset}:linear=true`,
      );
    }
    if (options.gainDb !== undefined && options.gainDb !== 0) filters.push(`volume=${options.gainDb.toFixed(2)}dB`);
    filters.push('aresample=async=0');
    const graph = `[0:a]${filters.join(',')},asplit=${outputs.length}${outputs.map((_, i) => `[o${i}]`).join('')}`;
    const outArgs = outputs.flatMap((o, i) => [
      '-map',
      `[o${i}]`,
      '-map_metadata',
      '-1',
      ...o.profile.encoderArgs,
      o.file,
    ]);
    const r = await this.processes.run(
      this.config.ffmpegPath,
      [
        '-hide_banner',
        '-nostdin',
        '-nostats',
        '-v',
        'error',
        '-y',
        '-progress',
        'pipe:1',
        ...input,
        '-filter_complex',
        graph,
        ...outArgs,
      ],
      {
        onStdout: (c) => report(progress.feed(c), options.onProgress),
        stdin: 'pcm' in source ? toBytes(source.pcm) : undefined,
      },
    );
    if (r.code !== 0)
      throw new ProcessError('ffmpeg', `encoding failed (${lastLine(r.stderr) || `exit ${r.code}`})`, r.stderr);
  }

  /** Decodes the inputs and writes them one after the other into one mono 16-bit WAV. */
  async concat(inputs: readonly string[], output: string): Promise<void> {
    const parts = inputs.map((_, i) => `[${i}:a]aresample=44100,aformat=sample_fmts=s16:channel_layouts=mono[a${i}]`);
    const graph = `${parts.join(';')};${inputs.map((_, i) => `[a${i}]`).join('')}concat=n=${inputs.length}:v=0:a=1[out]`;
    const r = await this.processes.run(this.config.ffmpegPath, [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-v',
      'error',
      '-y',
      ...inputs.flatMap((f) => ['-i', f]),
      '-filter_complex',
      graph,
      '-map',
      '[out]',
      '-c:a',
      'pcm_s16le',
      output,
    ]);
    if (r.code !== 0)
      throw new ProcessError('ffmpeg', `joining clips failed (${lastLine(r.stderr) || `exit ${r.code}`})`, r.stderr);
  }

  /** Codec, duration and bit rate of an encoded file. */
  async facts(file: string): Promise<MediaFacts> {
    const r = await this.processes.run(
      this.config.ffprobePath,
      ['-v', 'error', '-show_format', '-show_streams', '-of', 'json', file],
      { timeoutSeconds: 30 },
    );
    const probe = r.code === 0 ? parseProbeJson(r.stdout) : null;
    if (!probe || probe.declaredSeconds === null)
      throw new ProcessError('ffprobe', `cannot read the encoded file ${file} (${lastLine(r.stderr)})`, r.stderr);
    const format = (JSON.parse(r.stdout) as { format?: { bit_rate?: string } }).format;
    const bitrate = Number(format?.bit_rate);
    return {
      codecName: probe.codecName,
      seconds: probe.declaredSeconds,
      bitrate: Number.isFinite(bitrate) ? bitrate : null,
    };
  }
}

function report(percent: number | null, onProgress?: (percent: number) => void): void {
  if (percent !== null && onProgress) onProgress(percent);
}
