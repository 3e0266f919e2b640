/**
 * PCM synthesis of the pre-stored tones (pure): 16-bit signed little-endian mono samples, produced one chunk at a time
 * so a caller can stream them into an encoder without holding three minutes of audio in memory or the event loop.
 *
 * Siren: a tone sweeping 450–750 Hz and back every 1.5 s (with a third harmonic for a horn-like timbre); each "on"
 * segment starts and ends with a 10 ms raised-cosine ramp, so the edges are click-free and within a few ms of the
 * nominal timing. Chime: two decaying bell notes (E5 then C5).
 */
import type { ToneDefinition } from './tone-catalogue';

export const TONE_SAMPLE_RATE = 16_000;
const PEAK = 0.7 * 32767;
const RAMP_SECONDS = 0.01;
const SWEEP_LOW = 450;
const SWEEP_HIGH = 750;
const SWEEP_PERIOD = 1.5;

/** Sample index where each segment starts, with the total length appended. */
export function segmentBoundaries(tone: ToneDefinition, sampleRate = TONE_SAMPLE_RATE): number[] {
  const bounds = [0];
  let seconds = 0;
  for (const s of tone.segments) {
    seconds += s.seconds;
    bounds.push(Math.round(seconds * sampleRate));
  }
  return bounds;
}

function sirenFrequency(t: number): number {
  const phase = (t % SWEEP_PERIOD) / SWEEP_PERIOD; // 0..1
  const tri = phase < 0.5 ? phase * 2 : 2 - phase * 2; // 0→1→0
  return SWEEP_LOW + (SWEEP_HIGH - SWEEP_LOW) * tri;
}

function ramp(i: number, length: number, rampSamples: number): number {
  const fromEdge = Math.min(i, length - 1 - i);
  if (fromEdge >= rampSamples) return 1;
  return 0.5 - 0.5 * Math.cos((Math.PI * fromEdge) / rampSamples);
}

function bell(t: number, frequency: number): number {
  if (t < 0) return 0;
  const decay = Math.exp(-t / 0.35);
  return decay * (Math.sin(2 * Math.PI * frequency * t) + 0.3 * Math.sin(2 * Math.PI * 2 * frequency * t));
}

/** Yields the tone as Int16 chunks of at most `chunkSamples` samples. */
export function* synthesiseTone(
  tone: ToneDefinition,
  sampleRate = TONE_SAMPLE_RATE,
  chunkSamples = sampleRate,
): Generator<Int16Array> {
  const bounds = segmentBoundaries(tone, sampleRate);
  const total = bounds[bounds.length - 1];
  const rampSamples = Math.round(RAMP_SECONDS * sampleRate);
  let segment = 0;
  let phase = 0;
  for (let start = 0; start < total; start += chunkSamples) {
    const chunk = new Int16Array(Math.min(chunkSamples, total - start));
    for (let k = 0; k < chunk.length; k++) {
      const i = start + k;
      while (i >= bounds[segment + 1]) segment++;
      const seg = tone.segments[segment];
      if (!seg.on) continue;
      const inSeg = i - bounds[segment];
      const segLength = bounds[segment + 1] - bounds[segment];
      const t = i / sampleRate;
      let value: number;
      if (tone.voice === 'siren') {
        phase += (2 * Math.PI * sirenFrequency(t)) / sampleRate;
        value = (Math.sin(phase) + 0.25 * Math.sin(3 * phase)) / 1.25;
      } else {
        const ts = inSeg / sampleRate;
        value = (bell(ts, 659.25) + bell(ts - 0.6, 523.25)) / 1.6;
      }
      chunk[k] = Math.round(PEAK * value * ramp(inSeg, segLength, rampSamples));
    }
    yield chunk;
  }
}
