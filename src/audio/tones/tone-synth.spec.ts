import { findTone, toneDuration, TONES } from './tone-catalogue';
import { segmentBoundaries, synthesiseTone, TONE_SAMPLE_RATE } from './tone-synth';

function render(id: string, sampleRate = 8000): Int16Array {
  const tone = findTone(id)!;
  const chunks = [...synthesiseTone(tone, sampleRate, 4096)];
  const out = new Int16Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

describe('tone catalogue', () => {
  it.each([
    ['tone-preliminary-alert', 180],
    ['tone-air-raid', 180],
    ['tone-all-clear', 180],
    ['tone-disaster', 120],
  ])('%s lasts %d s', (id, seconds) => {
    expect(toneDuration(findTone(id)!)).toBe(seconds);
  });

  it('has unique stable ids', () => {
    expect(new Set(TONES.map((t) => t.id)).size).toBe(TONES.length);
  });
});

describe('synthesiseTone', () => {
  it('is silent exactly in the off segments and sounding in the on segments (air raid, 6 s / 6 s × 15)', () => {
    const rate = 8000;
    const tone = findTone('tone-air-raid')!;
    const samples = render('tone-air-raid', rate);
    const bounds = segmentBoundaries(tone, rate);
    expect(samples.length).toBe(180 * rate);
    tone.segments.forEach((seg, n) => {
      const slice = samples.subarray(bounds[n], bounds[n + 1]);
      const peak = slice.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      if (seg.on) {
        expect(peak).toBeGreaterThan(15_000);
        // full level 10 ms after the edge
        const inner = slice.subarray(0.011 * rate, slice.length - 0.011 * rate);
        const quietRuns = inner.reduce((run, v) => (Math.abs(v) < 50 ? run + 1 : 0), 0);
        expect(quietRuns).toBeLessThan(5);
      } else {
        expect(peak).toBe(0);
      }
    });
  });

  it('produces the same samples for any chunk size', () => {
    const tone = findTone('tone-chime')!;
    const a = Int16Array.from([...synthesiseTone(tone, TONE_SAMPLE_RATE, 1000)].flatMap((c) => [...c]));
    const b = Int16Array.from([...synthesiseTone(tone, TONE_SAMPLE_RATE, 777)].flatMap((c) => [...c]));
    expect(a).toEqual(b);
    expect(a.length).toBe(1.6 * TONE_SAMPLE_RATE);
  });
});
