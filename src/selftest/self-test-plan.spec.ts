import { nextAudible, parseWindow, shanghaiMidnight, spread, windowAt } from './self-test-plan';
import { refusalOutcome, resultOutcome, selfTestCauses } from './self-test-outcome';

const H = 3600_000;

describe('self-test plan (Asia/Shanghai)', () => {
  const w = parseWindow('02:00-04:00')!;

  it('parses the window and refuses what is not one', () => {
    expect(w).toEqual({ startSeconds: 7200, endSeconds: 14_400 });
    expect(parseWindow('off')).toBeNull();
    expect(() => parseWindow('04:00-02:00')).toThrow(/end after it starts/);
    expect(() => parseWindow('2-4')).toThrow(/HH:MM-HH:MM/);
  });

  it('takes the window open now, else the next one', () => {
    const midnight = shanghaiMidnight('2026-12-08');
    expect(midnight).toBe(Date.UTC(2026, 11, 7, 16));
    expect(windowAt(w, midnight + H)).toEqual({
      day: '2026-12-08',
      startAt: midnight + 2 * H,
      endAt: midnight + 4 * H,
    });
    expect(windowAt(w, midnight + 3 * H).day).toBe('2026-12-08');
    expect(windowAt(w, midnight + 4 * H).day).toBe('2026-12-09');
  });

  it('spreads a bus over what is left of the window', () => {
    const run = { day: 'd', startAt: 0, endAt: 90_000 };
    expect(spread(['a', 'b', 'c'], run, 0).map((s) => s.at)).toEqual([0, 30_000, 60_000]);
    expect(spread(['a', 'b'], run, 30_000).map((s) => s.at)).toEqual([30_000, 60_000]);
  });

  it('finds the next monthly audible test, across the year end', () => {
    const plan = { dayOfMonth: 1, time: '10:00' };
    expect(nextAudible(plan, Date.UTC(2026, 11, 7))).toBe(shanghaiMidnight('2027-01-01') + 10 * H);
    expect(nextAudible({ dayOfMonth: 7, time: '10:00' }, Date.UTC(2026, 11, 7))).toBe(
      shanghaiMidnight('2026-12-07') + 10 * H,
    );
  });
});

describe('self-test outcomes', () => {
  it('reads refusals: older firmware is not supported, a play makes it busy', () => {
    expect(refusalOutcome({ kind: 'refused', exceptionCode: 0x03, message: '' })).toBe('not-supported');
    expect(refusalOutcome({ kind: 'exception', exceptionCode: 0x02, message: '' })).toBe('not-supported');
    expect(refusalOutcome({ kind: 'refused', exceptionCode: 0x44, message: '' })).toBe('busy');
    expect(refusalOutcome({ kind: 'refused', exceptionCode: 0x42, message: '' })).toBe('refused');
    expect(refusalOutcome({ kind: 'timeout', exceptionCode: null, message: '' })).toBe('no-answer');
  });

  it('reads the result block and turns failed checks into alarm causes', () => {
    const ok = { verdict: 'ok', value: 1 } as const;
    const checks = {
      amplifier: ok,
      speakerLine: { verdict: 'open', value: 65_534 },
      supply: ok,
      battery: { verdict: 'not-fitted', value: null },
    } as const;
    const r = { testId: 5, state: 'done', finishedAtSeconds: 1, checks } as const;
    expect(resultOutcome(r, 5)).toBe('failed');
    expect(resultOutcome({ ...r, state: 'running' }, 5)).toBeNull();
    expect(resultOutcome({ ...r, state: 'aborted' }, 5)).toBe('aborted');
    expect(resultOutcome(r, 6)).toBe('no-answer');
    expect(selfTestCauses([{ terminalId: 9, areaCode: '341523100201', gatewayId: 2, checks }])).toEqual([
      {
        key: 'self-test:terminal:9:speakerLineOpen',
        kind: 'self-test',
        areaCode: '341523100201',
        gatewayId: 2,
        terminalId: 9,
        fault: 'speakerLineOpen',
        terminalIds: [9],
      },
    ]);
  });
});
