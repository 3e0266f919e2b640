import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { lineTimingOf } from '../../device-drivers/simulator/network';
import {
  addMade,
  liveP99BoundMs,
  busHolding,
  cpuTicks,
  gapSummary,
  latencySummary,
  logFigures,
  matchChanges,
  vmRssMb,
  type MadeChanges,
  type SeenState,
} from './province-measure';
import type { InstanceHealth } from './failover-measure';

const made = (...changes: [number, number, number][]): MadeChanges => {
  const m: MadeChanges = new Map();
  for (const [id, at, volume] of changes) addMade(m, id, at, volume);
  return m;
};
const seen = (terminalId: number, volume: number, polledAt: number, receivedAt: number, route?: string): SeenState => ({
  terminalId,
  volume,
  polledAt,
  receivedAt,
  route,
});
const all = { from: 0, to: 10_000 };

describe('matching changes against /live', () => {
  it('times a seen change from when it was made: to the poll, and from the poll to the client', () => {
    const r = matchChanges(made([1, 100, 21], [2, 150, 21]), [seen(1, 21, 900, 1100), seen(2, 21, 400, 700)], all);
    expect(r).toMatchObject({ made: 2, seen: 2, overwritten: 0, unseen: 0 });
    expect(r.toClient.sort()).toEqual([1000, 550].sort());
    expect(r.toPoll.sort()).toEqual([800, 250].sort());
    expect(r.pollToClient.sort()).toEqual([200, 300].sort());
  });

  it('times a change overwritten before a poll read it until the state that replaced it arrived', () => {
    const r = matchChanges(made([1, 100, 21], [1, 200, 22], [1, 300, 23]), [seen(1, 22, 250, 400)], all);
    expect(r).toMatchObject({ made: 3, seen: 1, overwritten: 1, unseen: 1 });
    expect(r.toClient).toEqual([300, 200]);
    expect(r.toPoll).toEqual([150, 50]);
  });

  it('takes the change the poll read, not a later one made before the reply was handled', () => {
    const r = matchChanges(made([1, 100, 21], [1, 199, 22]), [seen(1, 21, 200, 300)], all);
    expect(r.toClient).toEqual([200]);
    expect(r).toMatchObject({ seen: 1, unseen: 1 });
  });

  it('ignores a state sent again and a state no change of the churn made', () => {
    const r = matchChanges(
      made([1, 100, 21]),
      [seen(1, 60, 50, 80), seen(1, 21, 150, 200), seen(1, 21, 900, 1000), seen(7, 30, 10, 20)],
      all,
    );
    expect(r.toClient).toEqual([100]);
    expect(r).toMatchObject({ made: 1, seen: 1 });
  });

  it('does not match a volume that comes back later to the first change that set it', () => {
    // 21 → 22 → 21: the state read at 350 is the third change, not the first
    const r = matchChanges(made([1, 100, 21], [1, 200, 22], [1, 300, 21]), [seen(1, 21, 350, 400)], all);
    expect(r.toClient).toEqual([300, 200, 100]);
    expect(r).toMatchObject({ seen: 1, overwritten: 2 });
  });

  it('keeps only the changes made inside the window, and splits latencies by route', () => {
    const r = matchChanges(
      made([1, 100, 21], [2, 5_000, 21], [3, 5_100, 21]),
      [seen(1, 21, 150, 200, 'local'), seen(2, 21, 5_300, 5_400, 'local'), seen(3, 21, 5_300, 5_600, 'redis')],
      { from: 1_000, to: 6_000 },
    );
    expect(r).toMatchObject({ made: 2, seen: 2 });
    expect(r.toClientByRoute).toEqual({ local: [400], redis: [500] });
  });
});

describe('figures', () => {
  it('summarises latencies by nearest rank', () => {
    const ms = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(latencySummary(ms)).toEqual({ p50: 50, p99: 99, max: 100 });
    expect(latencySummary([])).toEqual({ p50: null, p99: null, max: null });
  });

  it('counts buses held by nobody and twice, only when every instance answered', () => {
    const h = (...gateways: number[]): InstanceHealth => ({
      status: 'up',
      instanceId: 'x',
      buses: gateways.map((g) => ({ key: `bus:${g}`, epoch: 1 })),
    });
    expect(busHolding([1, 2, 3, 4], [h(1, 2), h(2)])).toEqual({ unheld: 2, heldTwice: 1 });
    expect(busHolding([1, 2], [h(1), null])).toBeNull();
  });

  it('reads the resident memory and CPU time of a process from /proc', () => {
    expect(vmRssMb('Name:\tnode\nVmPeak:\t  900000 kB\nVmRSS:\t  524288 kB\nThreads: 11\n')).toBe(512);
    expect(vmRssMb('Name:\tzombie\n')).toBeNull();
    const stat = '4242 (node main) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 11 0';
    expect(cpuTicks(stat)).toBe(300);
  });
});

describe('the bound of change → client', () => {
  const [a, b] = referenceCounty().gateways;
  const tx = lineTimingOf(a).transactionMs(8, 5 + 2 * 20);

  it("is the p99 of a uniform wait over the bus's poll cycle and one over the batch period, after one read", () => {
    // U(0, 2000) + U(0, 250): the top 1 % lies above 2250 − √(0.01 × 2 × 2000 × 250) = 2150
    const units = (2000 - 1000) / tx;
    expect(liveP99BoundMs([{ gateway: a, liveUnits: units }], 1000)).toBeCloseTo(tx + 2150, 1);
    expect(tx).toBeGreaterThan(70);
    expect(tx).toBeLessThan(90);
  });

  it("weighs each bus by its live units: the pooled p99 lies between the buses' own", () => {
    const one = (liveUnits: number) => liveP99BoundMs([{ gateway: a, liveUnits }], 1000);
    const pooled = liveP99BoundMs(
      [
        { gateway: a, liveUnits: 11 },
        { gateway: b, liveUnits: 13 },
        { gateway: b, liveUnits: 0 },
      ],
      1000,
    );
    expect(pooled).toBeGreaterThan(one(11));
    expect(pooled).toBeLessThan(one(13));
  });
});

describe('what the instances say', () => {
  it('counts leases lost and status changes refused by a fence inside the window, from the JSON log', () => {
    const line = (time: number, msg: string) => JSON.stringify({ level: 30, time, msg });
    const log = [
      line(999, 'gateway 3: lease lost (epoch 1), bus closed'),
      line(1000, 'gateway 4: lease lost (epoch 2), bus closed'),
      line(1500, '12 status changes of bus:4 not written: this instance no longer holds it at epoch 2'),
      'not json',
      '  console   http://localhost:1/',
      line(1700, '3 status changes of bus:9 not written: this instance no longer holds it at epoch 1'),
      line(2000, 'gateway 5: lease lost (epoch 1), bus closed'),
    ].join('\n');
    expect(logFigures(log, 1000, 2000)).toEqual({ leasesLost: 1, statusRefused: 15 });
  });

  it('summarises the gaps between heartbeats per instance, with those past the trusted term', () => {
    const gaps = [
      { id: 'a', at: 10, ms: 1400 },
      { id: 'a', at: 20, ms: 3500 },
      { id: 'a', at: 30, ms: 1300 },
      { id: 'b', at: 20, ms: 2000 },
      { id: 'b', at: 99, ms: 9000 },
    ];
    expect(gapSummary(gaps, 0, 50, 3200)).toEqual({
      a: { p50: 1400, max: 3500, over: 1 },
      b: { p50: 2000, max: 2000, over: 0 },
    });
  });
});
