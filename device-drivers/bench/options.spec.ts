import { parseBenchArgs } from './options';
import { benchResult, percentile, resultLine } from './report';

describe('bench command line', () => {
  it('takes the scenario first, with the reference county defaults (docs/performance.md)', () => {
    expect(parseBenchArgs(['sweep'])).toEqual({
      scenario: 'sweep',
      json: false,
      sweeps: 10,
      emergencies: 0,
      seed: 1,
      deadFraction: 0.05,
      noise: 0.01,
      baseline: true,
      timeLimitS: 240,
    });
    expect(
      parseBenchArgs([
        'long-bus',
        '--json',
        '--sweeps',
        '2',
        '--no-baseline',
        '--dead',
        '0',
        '--noise',
        '0.02',
        '--seed',
        '7',
        '--time-limit',
        '60',
      ]),
    ).toEqual({
      scenario: 'long-bus',
      json: true,
      sweeps: 2,
      emergencies: 0,
      seed: 7,
      deadFraction: 0,
      noise: 0.02,
      baseline: false,
      timeLimitS: 60,
    });
    expect(parseBenchArgs(['preempt', '--emergencies', '50'])).toMatchObject({
      scenario: 'preempt',
      emergencies: 50,
      deadFraction: 0.05,
      noise: 0.01,
    });
  });

  it('names what is wrong', () => {
    expect(() => parseBenchArgs([])).toThrow(/scenario: expected one of sweep, long-bus, preempt, got nothing/);
    expect(() => parseBenchArgs(['province'])).toThrow(/got province/);
    expect(() => parseBenchArgs(['sweep', '--sweeps', '0'])).toThrow(
      /--sweeps: expected an integer in \[1, 1000\], got 0/,
    );
    expect(() => parseBenchArgs(['sweep', '--dead'])).toThrow(/--dead: .* got nothing/);
    expect(() => parseBenchArgs(['sweep', '--fast'])).toThrow(/unknown option --fast/);
  });
});

describe('bench result line', () => {
  it('puts ratio = measured / bound and speedup = baseline / measured beside the extra figures', () => {
    const r = benchResult('sweep', 10.5, 10, 21, { p50_ms: 79.1 });
    expect(r).toEqual({
      scenario: 'sweep',
      measured_s: 10.5,
      bound_s: 10,
      ratio: 1.05,
      baseline_s: 21,
      speedup: 2,
      p50_ms: 79.1,
    });
    expect(JSON.parse(resultLine(r))).toEqual(r);
    expect(benchResult('long-bus', 3, 2, null)).toMatchObject({ ratio: 1.5, baseline_s: null, speedup: null });
  });

  it('takes nearest-rank percentiles', () => {
    const sample = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(sample, 50)).toBe(50);
    expect(percentile(sample, 99)).toBe(99);
    expect(percentile(sample, 100)).toBe(100);
    expect(percentile([], 50)).toBeNull();
  });
});
