/**
 * LeaseStore on a database shared by three instances (docs/cluster.md): one winner per race, epochs that only grow,
 * a stale owner refused (renew and fence) after a takeover, release handing the lease on.
 */
import { FENCED_IDLE_LIMIT_S, fence, fenceAll, StaleLeaseError, StaleLeasesError } from '../../src/cluster/lease-fence';
import { type LeaseStore, sqlTime } from '../../src/cluster/lease-store';
import { managerOf, Transactions } from '../../src/database/transactions';
import { describeWith } from '../support/capabilities';
import { forEachDatabase } from '../support/databases';
import { sharedDatabase, type SharedDatabase } from './lease-db';

const LEASE = 5000;
const T0 = Date.parse('2026-12-07T02:00:00Z');
const KEY = 'bus:7';

forEachDatabase('lease store', (database) => {
  let shared: SharedDatabase;
  let a: LeaseStore, b: LeaseStore, c: LeaseStore;
  beforeAll(async () => {
    shared = await sharedDatabase(database, 3);
    [a, b, c] = shared.stores;
  });
  afterAll(() => shared.close());

  const fenced = (i: number, key: string, epoch: number): Promise<void> =>
    new Transactions(shared.sources[i]).run((tx) => fence(tx, key, epoch));

  it('lets exactly one of many racing acquires win a new key, then one of many win it once expired', async () => {
    const stores = [a, b, c];
    const first = await Promise.all(
      Array.from({ length: 12 }, (_, i) => stores[i % 3].acquire('bus:race', `i${i % 3}`, T0, LEASE)),
    );
    expect(first.filter((e) => e !== null)).toEqual([1]);
    const holder = (await a.get('bus:race'))?.owner;
    expect(holder).toMatch(/^i[012]$/);

    // not yet expired: nobody else gets it
    expect(await b.acquire('bus:race', 'other', T0 + LEASE - 1, LEASE)).toBeNull();

    const later = T0 + LEASE;
    const second = await Promise.all(
      Array.from({ length: 12 }, (_, i) => stores[i % 3].acquire('bus:race', `j${i}`, later, LEASE)),
    );
    expect(second.filter((e) => e !== null)).toEqual([2]);
    const row = await c.get('bus:race');
    expect(row).toMatchObject({ epoch: 2, expiresAt: later + LEASE });
    expect(row?.owner).toBe(`j${second.indexOf(2)}`);
  });

  it('gives each of many new keys, raced for by three instances 200 at a time, to exactly one of them', async () => {
    const keys = Array.from({ length: 450 }, (_, i) => `bus:new-${i}`);
    const stores = [a, b, c];
    // each instance asks in its own order; a statement lost to a deadlock takes nothing, and the next round
    // (renewal) asks again for the keys that still have no row
    const orders = [keys, [...keys].reverse(), [...keys.slice(225), ...keys.slice(0, 225)]];
    const won: string[][] = [[], [], []];
    for (let round = 0; round < 5 && won.flat().length < keys.length; round++) {
      const rows = new Set((await a.list()).map((l) => l.key));
      const left = orders.map((o) => o.filter((k) => !rows.has(k)));
      const now = await Promise.all(stores.map((s, i) => s.acquireNew(`n${i}`, left[i], T0, LEASE)));
      now.forEach((keysWon, i) => won[i].push(...keysWon));
    }
    expect(won.flat().sort()).toEqual([...keys].sort());
    for (const [i, mine] of won.entries())
      for (const key of mine.slice(0, 5)) expect(await a.get(key)).toMatchObject({ owner: `n${i}`, epoch: 1 });
    // a key that has a row already is not taken again by inserting
    expect(await a.acquireNew('late', [keys[0], 'bus:new-last'], T0, LEASE)).toEqual(['bus:new-last']);
  });

  it('grows the epoch at every takeover and refuses the stale owner its renew and its fence', async () => {
    const e1 = await a.acquire(KEY, 'A', T0, LEASE);
    expect(e1).toBe(1);
    expect(await a.renew(KEY, 'A', 1, T0 + 1000, LEASE)).toBe(true);
    await expect(fenced(0, KEY, 1)).resolves.toBeUndefined();

    // A pauses; its lease (renewed to T0 + 6000) expires; B takes over, then C after B stops renewing
    expect(await b.acquire(KEY, 'B', T0 + 5999, LEASE)).toBeNull();
    const e2 = await b.acquire(KEY, 'B', T0 + 6000, LEASE);
    const e3 = await c.acquire(KEY, 'C', T0 + 6000 + LEASE, LEASE);
    expect([e1, e2, e3]).toEqual([1, 2, 3]);

    // A wakes up: neither its renew nor its fence passes, even at a time it still believes valid
    expect(await a.renew(KEY, 'A', 1, T0 + 2000, LEASE)).toBe(false);
    await expect(fenced(0, KEY, 1)).rejects.toBeInstanceOf(StaleLeaseError);
    expect(await b.renew(KEY, 'B', 2, T0 + 6000 + LEASE, LEASE)).toBe(false);
    await expect(fenced(1, KEY, 2)).rejects.toBeInstanceOf(StaleLeaseError);
    expect(await a.release(KEY, 'A', 1, T0 + 12_000)).toBe(false);
    await expect(fenced(2, KEY, 3)).resolves.toBeUndefined();
    expect(await a.get(KEY)).toMatchObject({ owner: 'C', epoch: 3 });
  });

  it('rolls back what a stale owner wrote in the fenced transaction', async () => {
    const key = 'bus:rollback';
    expect(await a.acquire(key, 'A', T0, LEASE)).toBe(1);
    expect(await b.acquire(key, 'B', T0 + LEASE, LEASE)).toBe(2);
    const write = new Transactions(shared.sources[0]).run(async (tx) => {
      // a row written on behalf of the lease, then the fence: the stale owner's transaction cannot commit
      await managerOf(tx).query(
        'INSERT INTO cluster_instance (id, label, startedAt, lastHeartbeat) VALUES (?, ?, ?, ?)',
        ['written-by-stale-owner', 'x', sqlTime(T0), sqlTime(T0)],
      );
      await fence(tx, key, 1);
    });
    await expect(write).rejects.toBeInstanceOf(StaleLeaseError);
    expect((await b.instances(0)).map((i) => i.id)).not.toContain('written-by-stale-owner');
  });

  it('fences many leases at once and names every one that is stale, writing nothing', async () => {
    const [held, taken, released] = ['bus:all-1', 'bus:all-2', 'bus:all-3'];
    for (const key of [held, taken, released]) expect(await a.acquire(key, 'A', T0, LEASE)).toBe(1);
    expect(await b.acquire(taken, 'B', T0 + LEASE, LEASE)).toBe(2);
    expect(await a.release(released, 'A', 1, T0 + 1000)).toBe(true);
    const write = (leases: { key: string; epoch: number }[], id: string) =>
      new Transactions(shared.sources[0]).run(async (tx) => {
        await managerOf(tx).query(
          'INSERT INTO cluster_instance (id, label, startedAt, lastHeartbeat) VALUES (?, ?, ?, ?)',
          [id, 'x', sqlTime(T0), sqlTime(T0)],
        );
        await fenceAll(tx, leases);
      });
    const all = [
      { key: held, epoch: 1 },
      { key: taken, epoch: 1 },
      { key: released, epoch: 1 },
      { key: 'bus:never-leased', epoch: 1 },
    ];
    const refused = await write(all, 'stale-batch').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StaleLeasesError);
    expect((refused as StaleLeasesError).stale.map((l) => l.key)).toEqual([taken, released, 'bus:never-leased']);
    await expect(
      write(
        [
          { key: held, epoch: 1 },
          { key: taken, epoch: 2 },
        ],
        'fresh-batch',
      ),
    ).resolves.toBeUndefined();
    const ids = (await b.instances(0)).map((i) => i.id);
    expect(ids).toContain('fresh-batch');
    expect(ids).not.toContain('stale-batch');
  });

  it('does not renew a lease that lapsed, even untaken: taking it again is a new epoch', async () => {
    const key = 'bus:lapsed';
    expect(await a.acquire(key, 'A', T0, LEASE)).toBe(1);
    expect(await a.renew(key, 'A', 1, T0 + LEASE, LEASE)).toBe(false);
    expect(await a.acquire(key, 'A', T0 + LEASE, LEASE)).toBe(2);
  });

  it('hands a released lease on at once, keeping the epoch growing; the releaser is fenced out', async () => {
    const key = 'singleton:relay-planner';
    const e = await a.acquire(key, 'A', T0, LEASE);
    expect(e).toBe(1);
    expect(await b.acquire(key, 'B', T0 + 10, LEASE)).toBeNull();
    expect(await a.release(key, 'A', 1, T0 + 20)).toBe(true);
    await expect(fenced(0, key, 1)).rejects.toBeInstanceOf(StaleLeaseError);
    expect(await b.acquire(key, 'B', T0 + 30, LEASE)).toBe(2);
    expect(await c.list('singleton:')).toEqual([{ key, owner: 'B', epoch: 2, expiresAt: T0 + 30 + LEASE }]);
  });

  it('takes many leases in one statement: only the free or expired ones at the epoch read, each by one racer', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `bus:many-${i}`);
    for (const k of keys) await a.acquire(k, 'old', T0, LEASE);
    // one of them is renewed by its holder: not free when the others lapse
    expect(await a.renew('bus:many-0', 'old', 1, T0 + LEASE - 1, LEASE)).toBe(true);
    const later = T0 + LEASE;
    const seen = (await a.list('bus:many-')).filter((l) => keys.includes(l.key));
    const [byB, byC] = await Promise.all([
      b.acquireMany('B', seen, later, LEASE),
      c.acquireMany('C', seen, later, LEASE),
    ]);
    const taken = [...byB.keys(), ...byC.keys()];
    expect(new Set(taken).size).toBe(taken.length);
    expect(taken.sort()).toEqual(keys.filter((k) => k !== 'bus:many-0').sort());
    for (const epoch of [...byB.values(), ...byC.values()]) expect(epoch).toBe(2);
    const rows = new Map((await a.list('bus:many-')).map((l) => [l.key, l]));
    for (const [k] of byB) expect(rows.get(k)?.owner).toBe('B');
    expect(rows.get('bus:many-0')?.owner).toBe('old');
    // rows read before B's takeover are stale: nothing is taken with them
    expect((await c.acquireMany('C', seen, later + 1, LEASE)).size).toBe(0);
  });

  it('renews many leases in one statement: only its own, at its epoch, not yet expired', async () => {
    await a.acquire('bus:r1', 'A', T0, LEASE);
    await a.acquire('bus:r2', 'A', T0, LEASE);
    await a.acquire('bus:r3', 'A', T0 - LEASE, LEASE); // already expired at T0
    await b.acquire('bus:r4', 'B', T0, LEASE);
    const renewed = await a.renewMany(
      'A',
      [
        { key: 'bus:r1', epoch: 1 },
        { key: 'bus:r2', epoch: 7 },
        { key: 'bus:r3', epoch: 1 },
        { key: 'bus:r4', epoch: 1 },
      ],
      T0 + 1,
      LEASE,
    );
    expect([...renewed]).toEqual(['bus:r1']);
    expect((await a.get('bus:r1'))?.expiresAt).toBe(T0 + 1 + LEASE);
    expect((await a.get('bus:r4'))?.owner).toBe('B');
    expect((await a.renewMany('A', [], T0, LEASE)).size).toBe(0);
  });

  it('lists instances by their last heartbeat', async () => {
    await a.heartbeat('A', 'host-a:1', T0);
    await b.heartbeat('B', 'host-b:2', T0 + 100);
    await a.heartbeat('A', 'host-a:1', T0 + 200);
    expect((await c.instances(T0 + 150)).map((i) => i.id)).toEqual(['A']);
    expect(await c.instances(T0 + 50)).toEqual([
      { id: 'A', label: 'host-a:1', startedAt: T0, lastHeartbeat: T0 + 200 },
      { id: 'B', label: 'host-b:2', startedAt: T0 + 100, lastHeartbeat: T0 + 100 },
    ]);
    await a.leave('A');
    expect((await c.instances(T0)).map((i) => i.id)).toEqual(['B']);
  });
});

describeWith(['mysql'], 'lease store: a holder stopped inside a fenced transaction [mariadb]', () => {
  let shared: SharedDatabase;
  beforeAll(async () => {
    shared = await sharedDatabase('mysql', 2);
  });
  afterAll(() => shared.close());

  it('does not hold up an acquisition behind its lock, and bounds how long its transaction may stay idle', async () => {
    const [a, b] = shared.stores;
    const epoch = (await a.acquire('bus:paused', 'A', T0, LEASE)) as number;
    // A, inside a fenced transaction, stops before committing (its lock on the lease row stays)
    let release!: () => void;
    const stopped = new Promise<void>((r) => (release = r));
    let fenced!: () => void;
    const inside = new Promise<void>((r) => (fenced = r));
    let idleLimit: unknown;
    const held = new Transactions(shared.sources[0]).run(async (tx) => {
      await fence(tx, 'bus:paused', epoch);
      idleLimit = (await managerOf(tx).query('SELECT @@idle_transaction_timeout AS s'))[0].s;
      fenced();
      await stopped;
    });
    await inside;
    expect(Number(idleLimit)).toBe(FENCED_IDLE_LIMIT_S);
    // B, after A's lease expired, is told "not now" (within the 1 s lock wait), not held until A resumes
    expect(await b.acquire('bus:paused', 'B', T0 + LEASE, LEASE)).toBeNull();
    release();
    await held;
    expect(await b.acquire('bus:paused', 'B', T0 + LEASE, LEASE)).toBe(epoch + 1);
  });
});
