/**
 * What ffprobe and a full decode say about an upload, and the verdict on it (pure). Refusals carry the reason a duty
 * officer can act on: not audio, a format we do not take, truncated, too long, too short.
 */
export interface ProbeResult {
  /** ffprobe's format_name, e.g. "mp3", "wav", "mov,mp4,m4a,3gp,3g2,mj2", "ogg", "amr". */
  formatName: string;
  codecName: string;
  /** Duration ffprobe reads from the container/headers, seconds (null when it cannot tell). */
  declaredSeconds: number | null;
  sampleRate: number;
  channels: number;
}

/** The result of decoding the whole file once (the loudness analysis pass). */
export interface DecodeResult {
  decodedSeconds: number;
  loudness: LoudnessMeasurement | null;
}

/** EBU R128 measurement of ffmpeg's loudnorm first pass. */
export interface LoudnessMeasurement {
  inputI: number;
  inputTp: number;
  inputLra: number;
  inputThresh: number;
  targetOffset: number;
}

export interface UploadLimits {
  maxBytes: number;
  maxSeconds: number;
}

const ACCEPTED_FORMATS: Record<string, string> = {
  wav: 'WAV',
  mp3: 'MP3',
  'mov,mp4,m4a,3gp,3g2,mj2': 'AAC/M4A',
  aac: 'AAC',
  amr: 'AMR',
  ogg: 'OGG',
};
const ACCEPTED_CODECS = new Set([
  'pcm_s16le',
  'pcm_s24le',
  'pcm_s32le',
  'pcm_u8',
  'pcm_f32le',
  'pcm_alaw',
  'pcm_mulaw',
  'mp3',
  'aac',
  'amr_nb',
  'amr_wb',
  'opus',
  'vorbis',
  'flac',
]);

export const ACCEPTED_LABEL = 'WAV, MP3, AAC/M4A, AMR or OGG';
const MIN_SECONDS = 0.2;

/** Reason to refuse from the probe alone (before decoding), or null. */
export function refuseFromProbe(probe: ProbeResult, limits: UploadLimits): string | null {
  if (!(probe.formatName in ACCEPTED_FORMATS))
    return `format "${probe.formatName}" is not accepted; send ${ACCEPTED_LABEL}`;
  if (!ACCEPTED_CODECS.has(probe.codecName))
    return `audio codec "${probe.codecName}" is not accepted in ${ACCEPTED_FORMATS[probe.formatName]}`;
  if (probe.declaredSeconds !== null && probe.declaredSeconds > limits.maxSeconds) {
    return `recording lasts ${probe.declaredSeconds.toFixed(1)} s, longer than the limit of ${limits.maxSeconds} s`;
  }
  return null;
}

/**
 * Reason to refuse after decoding, or null. A file is truncated when its headers declare more than decodes
 * (an MP3 with a Xing/Info header, a WAV whose data chunk is cut): allowed slack is 0.5 s or 2 %, whichever is larger.
 */
export function refuseFromDecode(probe: ProbeResult, decoded: DecodeResult, limits: UploadLimits): string | null {
  const got = decoded.decodedSeconds;
  if (got < MIN_SECONDS) return `no audio could be decoded (${got.toFixed(2)} s); the file is empty or damaged`;
  if (got > limits.maxSeconds)
    return `recording lasts ${got.toFixed(1)} s, longer than the limit of ${limits.maxSeconds} s`;
  if (probe.declaredSeconds !== null) {
    const slack = Math.max(0.5, probe.declaredSeconds * 0.02);
    if (got < probe.declaredSeconds - slack) {
      return `file is truncated: its headers declare ${probe.declaredSeconds.toFixed(1)} s but only ${got.toFixed(1)} s decode`;
    }
  }
  return null;
}

/** Parses ffprobe's `-show_format -show_streams -of json` output; null when there is no audio stream. */
export function parseProbeJson(json: string): ProbeResult | null {
  const parsed = JSON.parse(json) as {
    format?: { format_name?: string; duration?: string };
    streams?: {
      codec_type?: string;
      codec_name?: string;
      duration?: string;
      sample_rate?: string;
      channels?: number;
    }[];
  };
  const audio = parsed.streams?.find((s) => s.codec_type === 'audio');
  if (!audio || !parsed.format?.format_name) return null;
  const duration = Number(audio.duration ?? parsed.format.duration);
  return {
    formatName: parsed.format.format_name,
    codecName: audio.codec_name ?? 'unknown',
    declaredSeconds: Number.isFinite(duration) && duration > 0 ? duration : null,
    sampleRate: Number(audio.sample_rate ?? 0),
    channels: audio.channels ?? 0,
  };
}

/** Parses the JSON block loudnorm prints at the end of its first pass; null when absent or incomplete. */
export function parseLoudnormJson(stderr: string): LoudnessMeasurement | null {
  const start = stderr.lastIndexOf('{');
  const end = stderr.lastIndexOf('}');
  if (start < 0 || end < start) return null;
  try {
    const j = JSON.parse(stderr.slice(start, end + 1)) as Record<string, string>;
    const m = {
      inputI: Number(j.input_i),
      inputTp: Number(j.input_tp),
      inputLra: Number(j.input_lra),
      inputThresh: Number(j.input_thresh),
      targetOffset: Number(j.target_offset),
    };
    return Object.values(m).every(Number.isFinite) ? m : null;
  } catch {
    return null;
  }
}
