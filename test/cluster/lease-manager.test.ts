/**
 * Three LeaseManagers on one database and one (manual) time line (docs/cluster.md): buses balanced, a killed
 * instance's buses taken over with higher epochs, a paused instance finding on resume that it lost its buses.
 */
import { Logger } from '@nestjs/common';
import { LeaseManager, type LeaseEvent } from '../../src/cluster/lease-manager';
import { LeaseStore } from '../../src/cluster/lease-store';
import { forEachDatabase } from '../support/databases';
import { sharedDatabase, type SharedDatabase } from './lease-db';
import { InstanceClock, ManualClock } from './manual-clock';

const LEASE = 3000;
const T0 = Date.parse('2026-12-07T02:00:00Z');
const IDS = ['A', 'B', 'C'];
const BUSES = Array.from({ length: 10 }, (_, i) => `bus:${i + 1}`);

forEachDatabase('lease manager', (database) => {
  let shared: SharedDatabase;
  let clock: ManualClock;
  let views: InstanceClock[];
  let managers: LeaseManager[];
  let events: LeaseEvent[][];

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    shared = await sharedDatabase(database, 3);
    clock = new ManualClock(T0);
    views = IDS.map(() => new InstanceClock(clock));
    events = IDS.map(() => []);
    managers = IDS.map((id, i) => {
      const m = new LeaseManager(shared.stores[i], views[i], {
        clustered: true,
        instanceId: id,
        label: `host-${id}:1`,
        leaseMs: LEASE,
      });
      m.events.subscribe((e) => events[i].push(e));
      m.setBuses(BUSES);
      m.addSingleton('relay-planner');
      return m;
    });
    for (const m of managers) m.start();
    await Promise.all(managers.map((m) => m.idle()));
  });

  afterEach(async () => {
    for (const v of views) v.resume();
    await Promise.all(managers.map((m) => m.stop()));
    await shared.close();
  });

  /** Time goes on by `n` renewal periods; each instance's renewal runs to its end. */
  const periods = async (n: number): Promise<void> => {
    for (let i = 0; i < n; i++) {
      clock.advance(LEASE / 3);
      await Promise.all(managers.map((m) => m.idle()));
    }
  };
  const busesOf = (i: number): string[] => managers[i].heldKeys().filter((k) => k.startsWith('bus:'));
  const owners = async (): Promise<Map<string, { owner: string | null; epoch: number }>> =>
    new Map((await shared.stores[0].list()).map((l) => [l.key, { owner: l.owner, epoch: l.epoch }]));

  it('balances the buses: each instance holds ⌊10/3⌋ or ⌈10/3⌉, agreeing with the database; one runs the singleton', async () => {
    await periods(5);
    const counts = IDS.map((_, i) => busesOf(i).length);
    for (const n of counts) expect([3, 4]).toContain(n);
    expect(new Set(IDS.flatMap((_, i) => busesOf(i))).size).toBe(10);
    const rows = await owners();
    for (const [i, id] of IDS.entries()) for (const k of managers[i].heldKeys()) expect(rows.get(k)?.owner).toBe(id);
    expect(managers.filter((m) => m.holds('singleton:relay-planner'))).toHaveLength(1);
  });

  it('gives a killed instance’s buses to the others, at higher epochs, with gained events', async () => {
    await periods(5);
    const before = await owners();
    const victims = managers[2].heldKeys();
    expect(victims.length).toBeGreaterThan(0);
    views[2].kill();
    events[0].length = 0;
    events[1].length = 0;

    await periods(6); // the lease runs out (3 periods), then the survivors rebalance
    expect(busesOf(0).length + busesOf(1).length).toBe(10);
    for (const i of [0, 1]) expect(busesOf(i)).toHaveLength(5);
    const after = await owners();
    for (const key of victims) {
      const row = after.get(key);
      expect(['A', 'B']).toContain(row?.owner);
      expect(row?.epoch).toBeGreaterThan(before.get(key)?.epoch ?? Infinity);
      const taker = row?.owner === 'A' ? 0 : 1;
      expect(events[taker]).toContainEqual({ kind: 'gained', key, epoch: row?.epoch });
    }
  });

  it('tells a paused instance, once resumed, that it lost its buses; it never renews them and rejoins later', async () => {
    await periods(5);
    const before = await owners();
    const stolen = managers[2].heldKeys();
    expect(stolen.length).toBeGreaterThanOrEqual(3);
    const renew = jest.spyOn(shared.stores[2], 'renew');
    views[2].pause();
    await periods(6);
    const during = await owners();
    for (const key of stolen) {
      expect(['A', 'B']).toContain(during.get(key)?.owner);
      expect(during.get(key)?.epoch).toBeGreaterThan(before.get(key)?.epoch ?? Infinity);
    }
    expect(managers[2].heldKeys()).toEqual([]); // its clock says the leases are past trust even before it runs

    events[2].length = 0;
    renew.mockClear();
    views[2].resume();
    await managers[2].idle();
    for (const key of stolen) expect(events[2]).toContainEqual({ kind: 'lost', key, epoch: before.get(key)?.epoch });
    expect(renew).not.toHaveBeenCalled();
    const now = await owners();
    for (const key of stolen) expect(now.get(key)).toEqual(during.get(key));

    await periods(5); // back among the live: the others give up their excess, it takes its share at new epochs
    expect(busesOf(2).length).toBeGreaterThanOrEqual(3);
    const final = await owners();
    for (const key of busesOf(2)) expect(final.get(key)?.epoch).toBeGreaterThan(1);
    for (const n of IDS.map((_, i) => busesOf(i).length)) expect([3, 4]).toContain(n);
  });

  it('reports its buses lost when it cannot reach the database, before any other instance may take them', async () => {
    await periods(5);
    const held = managers[0].heldKeys();
    const lastRenewed = await owners();
    const expiries = new Map((await shared.stores[0].list()).map((l) => [l.key, l.expiresAt]));
    const lostAt = new Map<string, number>();
    managers[0].lost.subscribe((e) => lostAt.set(e.key, clock.now()));
    const down = new Error('connection lost');
    jest.spyOn(shared.stores[0], 'heartbeat').mockRejectedValue(down);
    jest.spyOn(shared.stores[0], 'renew').mockRejectedValue(down);
    jest.spyOn(shared.stores[0], 'renewMany').mockRejectedValue(down);

    await periods(6);
    expect(managers[0].heldKeys()).toEqual([]);
    const after = await owners();
    for (const key of held) {
      expect(lostAt.get(key)).toBeLessThan(expiries.get(key) ?? -Infinity);
      expect(after.get(key)?.owner).not.toBe('A');
      expect(after.get(key)?.epoch).toBeGreaterThan(lastRenewed.get(key)?.epoch ?? Infinity);
    }
  });
});

forEachDatabase('lease manager on a slow database', (database) => {
  let shared: SharedDatabase;

  beforeAll(() => Logger.overrideLogger(false));
  afterEach(() => shared.close());

  /** A manager on `store` given `buses`, while time goes on `steps` times by `stepMs`, each tick run to its end. */
  const drive = async (store: LeaseStore, clock: ManualClock, buses: string[], steps: number, stepMs: number) => {
    const m = new LeaseManager(store, clock, { clustered: true, instanceId: 'A', label: 'host-A:1', leaseMs: LEASE });
    const lost: string[] = [];
    m.lost.subscribe((e) => lost.push(e.key));
    m.setBuses(buses);
    m.start();
    await m.idle();
    for (let i = 0; i < steps; i++) {
      clock.advance(stepMs);
      await m.idle();
    }
    const result = { held: m.heldKeys(), lost: [...lost] };
    await m.stop(); // (which gives every lease up, each reported lost)
    return result;
  };

  it('takes many buses over several renewals and loses none of them while it takes the rest', async () => {
    shared = await sharedDatabase(database, 1);
    const clock = new ManualClock(T0);
    // every acquisition takes 100 ms: twenty in one renewal would take 2 s, near the 2.4 s a lease is trusted
    class SlowStore extends LeaseStore {
      override async acquire(...args: Parameters<LeaseStore['acquire']>): ReturnType<LeaseStore['acquire']> {
        const epoch = await super.acquire(...args);
        clock.advance(100);
        return epoch;
      }
    }
    const many = Array.from({ length: 20 }, (_, i) => `bus:${i + 1}`);
    const { held, lost } = await drive(new SlowStore(shared.sources[0]), clock, many, 12, LEASE / 3);
    expect(held).toEqual([...many].sort());
    expect(lost).toEqual([]);
  });

  it('keeps its leases when every renewal waits a third of the term on locked rows: the next one is due a third of the term after the last was sent', async () => {
    shared = await sharedDatabase(database, 1);
    const clock = new ManualClock(T0);
    // each renewal statement waits 1 s (rows locked by a fenced write): counted from its end, the next renewal would
    // be sent 2 s after the last and answered 3 s after it, past the 2.4 s a lease is trusted
    class LockedStore extends LeaseStore {
      override async renewMany(...args: Parameters<LeaseStore['renewMany']>): ReturnType<LeaseStore['renewMany']> {
        const renewed = await super.renewMany(...args);
        if (args[1].length > 0) clock.advance(1000);
        return renewed;
      }
    }
    const { held, lost } = await drive(new LockedStore(shared.sources[0]), clock, ['bus:1', 'bus:2'], 100, 100);
    expect(lost).toEqual([]);
    expect(held).toEqual(['bus:1', 'bus:2']);
  });

  it('keeps its leases when the rest of a tick (reading the leases and the instances) outlasts a renewal period', async () => {
    shared = await sharedDatabase(database, 1);
    const clock = new ManualClock(T0);
    // reading every lease and the live instances take 1.5 s each: a tick that renewed only at its start would send
    // its next renewal 3 s after the last, past the 2.4 s a lease is trusted
    class SlowReads extends LeaseStore {
      override async list(): ReturnType<LeaseStore['list']> {
        const rows = await super.list();
        clock.advance(1500);
        return rows;
      }
      override async instances(...args: Parameters<LeaseStore['instances']>): ReturnType<LeaseStore['instances']> {
        const rows = await super.instances(...args);
        clock.advance(1500);
        return rows;
      }
    }
    const { held, lost } = await drive(new SlowReads(shared.sources[0]), clock, ['bus:1', 'bus:2'], 100, 100);
    expect(lost).toEqual([]);
    expect(held).toEqual(['bus:1', 'bus:2']);
  });
});
