import {
  chooseVictim,
  deliverySummary,
  everyBusHeldOnce,
  heldGateways,
  heldTwice,
  openConnections,
  requestsBetween,
  TakeoverTracker,
  type InstanceHealth,
} from './failover-measure';

const health = (instanceId: string, gateways: number[]): InstanceHealth => ({
  status: 'up',
  instanceId,
  buses: gateways.map((g) => ({ key: `bus:${g}`, epoch: 1 })),
  singletons: [{ key: 'singleton:relay-planner', epoch: 1 }],
});

describe('reading the instances of a failover bench', () => {
  it('reads the gateway ids of the bus leases an instance holds, and nothing from a silent one', () => {
    expect(heldGateways(health('a', [3, 12]))).toEqual([3, 12]);
    expect(heldGateways(null)).toEqual([]);
  });

  it('chooses the holder of the most buses, the first by id on a tie, nobody when no bus is held', () => {
    const h = new Map([
      ['ctl-c', health('ctl-c', [1, 2, 3])],
      ['ctl-a', health('ctl-a', [4, 5])],
      ['ctl-b', health('ctl-b', [6, 7, 8])],
    ]);
    expect(chooseVictim(h)).toBe('ctl-b');
    expect(chooseVictim(new Map([['ctl-a', null]]))).toBeNull();
  });

  it('knows every bus held once from a bus unheld or held twice', () => {
    expect(everyBusHeldOnce([1, 2, 3], [health('a', [1]), health('b', [2, 3])])).toBe(true);
    expect(everyBusHeldOnce([1, 2, 3], [health('a', [1]), health('b', [2])])).toBe(false);
    expect(everyBusHeldOnce([1, 2], [health('a', [1, 2]), health('b', [2])])).toBe(false);
    expect(heldTwice([health('a', [1, 2]), health('b', [2]), null, health('c', [1])])).toEqual([1, 2]);
  });
});

describe('TakeoverTracker', () => {
  const replies = (entries: [number, number][]) => new Map(entries);

  it('counts a bus taken over once a survivor holds it and its gateway answered again after that', () => {
    const t = new TakeoverTracker(1_000, [7, 8]);
    // a reply before any survivor holds bus 7 is not a survivor's poll
    t.add({ at: 2_000, survivors: [health('b', [])], replies: replies([[7, 10]]) });
    t.add({
      at: 6_000,
      survivors: [health('b', [7]), health('c', [8])],
      replies: replies([
        [7, 11],
        [8, 5],
      ]),
    });
    expect(t.done).toBe(false);
    expect(t.pending()).toEqual([7, 8]);
    t.add({
      at: 6_100,
      survivors: [health('b', [7]), health('c', [8])],
      replies: replies([
        [7, 12],
        [8, 5],
      ]),
    });
    expect(t.pending()).toEqual([8]);
    t.add({
      at: 6_400,
      survivors: [null, health('c', [8])],
      replies: replies([
        [7, 12],
        [8, 6],
      ]),
    });
    expect(t.done).toBe(true);
    expect(t.result()).toEqual({ held_s: 5, polled_s: 5.4 });
  });

  it('reports nothing while a bus is not polled again', () => {
    const t = new TakeoverTracker(0, [1]);
    t.add({ at: 500, survivors: [health('b', [1])], replies: replies([[1, 3]]) });
    expect(t.result()).toEqual({ held_s: 0.5, polled_s: null });
  });
});

describe('deliverySummary', () => {
  it('counts deliveries by state and their reasons with the numbers and names masked, most frequent first', () => {
    const s = deliverySummary(
      [
        { state: 'played', reason: null },
        {
          state: 'unreachable',
          reason: 'bus:12 (gateway 12) is driven by instance ctl-a of the cluster, not this one',
        },
        {
          state: 'unreachable',
          reason: 'bus:40 (gateway 40) is driven by instance ctl-a of the cluster, not this one',
        },
        { state: 'unreachable', reason: 'bus gateway 3 (某村网关) unit 4 FC16 clip prepare: bus stopped' },
      ],
      1,
    );
    expect(s).toEqual({
      states: { played: 1, unreachable: 3 },
      reasons: { 'bus:# (…) is driven by instance ctl-a of the cluster, not this one': 2 },
    });
  });
});

describe('the victim connections of a paused instance', () => {
  const snapshot = (requests: number[][], open: boolean[][] = []) =>
    requests.map((g, i) => g.map((r, k) => ({ id: k + 1, requests: r, open: open[i]?.[k] ?? true })));

  it('names the connections open on the orphaned gateways and counts what they sent between two snapshots', () => {
    const atStop = snapshot([[5, 9], [3], [7]], [[false, true], [true], [true]]);
    const watched = openConnections(atStop, [0, 1]);
    expect(watched).toEqual([
      [0, 2],
      [1, 1],
    ]);
    // gateway 0's connection 2 sent two more, gateway 1's closed without sending; a new connection 3 is not watched
    const later = [
      [...atStop[0], { id: 3, requests: 40, open: true }],
      [{ id: 1, requests: 3, open: false }],
      atStop[2],
    ];
    later[0][1] = { id: 2, requests: 11, open: true };
    expect(requestsBetween(atStop, later, watched)).toBe(2);
    expect(requestsBetween(atStop, atStop, watched)).toBe(0);
  });
});
