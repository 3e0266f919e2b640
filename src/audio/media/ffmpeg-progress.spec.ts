import { ProgressReader } from './ffmpeg-progress';

const block = (us: number, state = 'continue'): string =>
  `bitrate=N/A\nout_time_us=${us}\nout_time_ms=${us}\nout_time=00:00:00\nprogress=${state}\n`;

describe('ProgressReader', () => {
  it('reports the share of the expected duration at each block, 100 at the end', () => {
    const r = new ProgressReader(30);
    expect(r.feed(block(15_000_000))).toBe(50);
    expect(r.feed(block(29_990_000))).toBe(99);
    expect(r.feed(block(30_000_000, 'end'))).toBe(100);
    expect(r.seconds).toBe(30);
  });

  it('accepts input split byte by byte', () => {
    const r = new ProgressReader(10);
    const results = [...block(2_500_000)].map((c) => r.feed(c)).filter((p) => p !== null);
    expect(results).toEqual([25]);
  });

  it('resynchronises after garbage and ignores N/A values', () => {
    const r = new ProgressReader(10);
    r.feed('x'.repeat(10_000));
    expect(r.feed('\nout_time_us=N/A\nprogress=continue\n')).toBe(0);
    expect(r.feed(block(5_000_000))).toBe(50);
  });
});
