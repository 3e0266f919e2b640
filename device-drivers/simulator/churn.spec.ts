import { ChurnRunner, ChurnSchedule, churnVolume } from './churn';
import type { SimulatedNetwork } from './network';

const take = (s: ChurnSchedule, n: number) => Array.from({ length: n }, () => s.next());

describe('churn schedule', () => {
  it('repeats for the same seed, rate and targets, and differs for another seed', () => {
    const a = take(new ChurnSchedule(7, 1000, 50), 500);
    expect(take(new ChurnSchedule(7, 1000, 50), 500)).toEqual(a);
    expect(take(new ChurnSchedule(8, 1000, 50), 500).map((c) => c.target)).not.toEqual(a.map((c) => c.target));
  });

  it('spaces the changes at the rate: the k-th at k / rate seconds', () => {
    const changes = take(new ChurnSchedule(1, 400, 10), 801);
    expect(changes[0].atMs).toBe(0);
    expect(changes[400].atMs).toBe(1000);
    expect(changes[800].atMs).toBe(2000);
  });

  it('draws every target, about evenly', () => {
    const counts = new Array<number>(20).fill(0);
    for (const c of take(new ChurnSchedule(3, 1000, 20), 20_000)) counts[c.target]++;
    expect(Math.min(...counts)).toBeGreaterThan(800);
    expect(Math.max(...counts)).toBeLessThan(1200);
  });

  it("never sets a terminal's volume to the value it replaces, starting from the simulated default 60", () => {
    const last = new Map<number, number>();
    for (const c of take(new ChurnSchedule(5, 1000, 3), 1000)) {
      expect(c.volume).not.toBe(last.get(c.target) ?? 60);
      expect(c.volume).toBeGreaterThanOrEqual(20);
      expect(c.volume).toBeLessThanOrEqual(99);
      last.set(c.target, c.volume);
    }
    expect(new Set(Array.from({ length: 80 }, (_, n) => churnVolume(n + 1))).size).toBe(80);
  });

  it('refuses a rate or target count that cannot churn', () => {
    expect(() => new ChurnSchedule(1, 0, 5)).toThrow(RangeError);
    expect(() => new ChurnSchedule(1, 10, 0)).toThrow(RangeError);
  });
});

describe('churn runner', () => {
  afterEach(() => jest.useRealTimers());

  it('turns the live terminals only, at the rate, and logs each change with the time it was made', () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const set: [number, number, number][] = [];
    const net = {
      gateways: [{ bus: { unitIds: () => [1, 2, 3] } }, { bus: { unitIds: () => [1, 2] } }],
      deadUnits: () => [[0, 2]],
      setVolume: (g: number, u: number, v: number) => set.push([g, u, v]),
    } as unknown as SimulatedNetwork;
    const runner = new ChurnRunner(net);
    expect(runner.liveTargets).toBe(4);
    runner.start(200, 9);
    jest.advanceTimersByTime(1000);
    runner.stop();
    jest.advanceTimersByTime(1000);
    expect(runner.made).toBe(201);
    expect(set).toHaveLength(201);
    expect(set.some(([g, u]) => g === 0 && u === 2)).toBe(false);
    const log = runner.slice(0, 1000);
    expect(log.at[0]).toBe(1_000_005);
    expect(log.at[200]).toBe(1_001_000);
    expect(set.map(([g, u, v]) => [g, u, v])).toEqual(
      log.at.map((_, i) => [log.gateway[i], log.unit[i], log.volume[i]]),
    );
    expect(runner.slice(200, 10).at).toHaveLength(1);
  });
});
