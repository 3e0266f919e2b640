/**
 * Leases in the shared database, as single conditional statements (docs/cluster.md, "The lease model"). Pure
 * persistence: no timers, no clock of its own; the caller passes `now` (its injected Clock) to every operation, so
 * every instance reads and writes expiries on one time line.
 *
 * - acquire: a missing row is INSERTed with epoch 1 (the primary key lets one racer in); an existing row is taken
 *   by compare-and-set on the epoch just read, and only while it is free or expired: `epoch = e + 1 WHERE epoch = e
 *   AND (owner IS NULL OR expiresAt <= now)`. Two instances racing cannot both win, on MariaDB or on SQLite.
 * - renew: only by its owner, with the same epoch, before it expires (a lapsed lease is gone: taking it again is a new
 *   epoch).
 * - release: by its owner with the same epoch; the epoch stays (it only grows), the owner becomes null.
 * - fence (lease-fence.ts): inside the caller's transaction, a write that matches only while the lease still carries
 *   that epoch. On MariaDB the UPDATE also locks the lease row until the transaction ends, so a takeover waits for it.
 */
import type { DataSource, QueryRunner } from 'typeorm';
import { isMySqlFamily } from '../database/dialect';

export interface Lease {
  key: string;
  owner: string | null;
  epoch: number;
  /** ms since the epoch */
  expiresAt: number;
}

export interface ClusterInstance {
  id: string;
  label: string;
  startedAt: number;
  lastHeartbeat: number;
}

/** A datetime(3) value as both databases compare it: 'YYYY-MM-DD HH:MM:SS.mmm', UTC. */
export function sqlTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

function msOf(v: Date | string): number {
  if (v instanceof Date) return v.getTime();
  return Date.parse(`${v.replace(' ', 'T')}Z`);
}

/** How long an acquisition waits for a lease row locked by a fenced transaction before trying at the next renewal. */
const ACQUIRE_LOCK_WAIT_S = 1;

/** Statements over many leases go 200 rows at a time (bounded parameter lists). */
export function chunks<T>(items: readonly T[], size = 200): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function isLockWaitTimeout(e: unknown): boolean {
  const driver = (e as { driverError?: { code?: string } }).driverError ?? (e as object);
  return (driver as { code?: string }).code === 'ER_LOCK_WAIT_TIMEOUT';
}

function isDeadlock(e: unknown): boolean {
  const driver = (e as { driverError?: { code?: string } }).driverError ?? (e as object);
  return (driver as { code?: string }).code === 'ER_LOCK_DEADLOCK';
}

/** A primary key already taken (the racer that lost an INSERT), on MariaDB or SQLite. */
export function isDuplicateKey(e: unknown): boolean {
  const driver = (e as { driverError?: { code?: string; errno?: number } }).driverError ?? (e as object);
  const code = (driver as { code?: string }).code ?? '';
  return code === 'ER_DUP_ENTRY' || code.startsWith('SQLITE_CONSTRAINT');
}

/** Runs one statement on `runner`; the rows it matched. */
export async function affected(runner: QueryRunner, sql: string, params: unknown[]): Promise<number> {
  const result = await runner.query(sql, params, true);
  return result.affected ?? 0;
}

export interface LeaseRow {
  resourceKey: string;
  owner: string | null;
  epoch: string | number;
  expiresAt: Date | string;
}

const toLease = (r: LeaseRow): Lease => ({
  key: r.resourceKey,
  owner: r.owner,
  epoch: Number(r.epoch),
  expiresAt: msOf(r.expiresAt),
});

export class LeaseStore {
  private mariaDb: Promise<boolean> | null = null;

  constructor(private readonly dataSource: DataSource) {}

  /** MariaDB has `SET STATEMENT … FOR` (a variable for one statement); MySQL and SQLite do not. */
  private isMariaDb(): Promise<boolean> {
    if (!isMySqlFamily(this.dataSource)) return Promise.resolve(false);
    this.mariaDb ??= this.dataSource
      .query<{ v: string }[]>('SELECT VERSION() AS v')
      .then((rows) => /mariadb/i.test(rows[0]?.v ?? ''));
    return this.mariaDb;
  }

  /** One statement outside any transaction; returns the rows it matched. */
  private async run(sql: string, params: unknown[]): Promise<number> {
    const runner = this.dataSource.createQueryRunner();
    try {
      return await affected(runner, sql, params);
    } finally {
      await runner.release();
    }
  }

  async get(key: string): Promise<Lease | null> {
    const rows = await this.dataSource.query<LeaseRow[]>(
      'SELECT resourceKey, owner, epoch, expiresAt FROM cluster_lease WHERE resourceKey = ?',
      [key],
    );
    return rows.length === 0 ? null : toLease(rows[0]);
  }

  /** Every lease whose key starts with `prefix` (all when empty), by key. */
  async list(prefix = ''): Promise<Lease[]> {
    const rows = await this.dataSource.query<LeaseRow[]>(
      'SELECT resourceKey, owner, epoch, expiresAt FROM cluster_lease WHERE resourceKey LIKE ? ORDER BY resourceKey',
      [`${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`],
    );
    return rows.map(toLease);
  }

  /**
   * Takes `key` for `owner` when it is free or expired at `now`; the new epoch, or null when someone else holds it
   * or won the race. `seen` is the row as last read (saves a read when the caller has just listed the leases).
   */
  async acquire(key: string, owner: string, now: number, leaseMs: number, seen?: Lease | null): Promise<number | null> {
    const current = seen === undefined ? await this.get(key) : seen;
    const expiresAt = sqlTime(now + leaseMs);
    if (current === null) {
      try {
        await this.run('INSERT INTO cluster_lease (resourceKey, owner, epoch, expiresAt) VALUES (?, ?, ?, ?)', [
          key,
          owner,
          1,
          expiresAt,
        ]);
        return 1;
      } catch (e) {
        if (isDuplicateKey(e)) return null;
        throw e;
      }
    }
    if (current.owner !== null && current.expiresAt > now) return null;
    const next = current.epoch + 1;
    // a row still locked by its previous holder's fenced transaction is not waited for here (the holder's whole
    // renewal would wait behind it): it is tried again at the next renewal
    const bounded = (await this.isMariaDb())
      ? `SET STATEMENT innodb_lock_wait_timeout = ${ACQUIRE_LOCK_WAIT_S} FOR `
      : '';
    try {
      const n = await this.run(
        `${bounded}UPDATE cluster_lease SET owner = ?, epoch = ?, expiresAt = ? ` +
          'WHERE resourceKey = ? AND epoch = ? AND (owner IS NULL OR expiresAt <= ?)',
        [owner, next, expiresAt, key, current.epoch, sqlTime(now)],
      );
      return n === 1 ? next : null;
    } catch (e) {
      if (isLockWaitTimeout(e)) return null;
      throw e;
    }
  }

  /**
   * Takes, in one statement per 200, the keys that have no lease row yet (epoch 1); the keys this call took. Rows
   * another instance inserted first are left to it (a duplicate key is skipped, not an error), so of several instances
   * racing for the same new keys each key goes to one at most (and to one, over the next renewals).
   */
  async acquireNew(owner: string, keys: readonly string[], now: number, leaseMs: number): Promise<string[]> {
    const at = sqlTime(now + leaseMs);
    const onDuplicate = isMySqlFamily(this.dataSource)
      ? 'ON DUPLICATE KEY UPDATE resourceKey = resourceKey'
      : 'ON CONFLICT (resourceKey) DO NOTHING';
    const taken: string[] = [];
    // rows in key order, so that racing statements lock them in the same order; a statement the database still
    // chose as a deadlock's victim took nothing and is left to the next renewal
    for (const part of chunks([...keys].sort())) {
      try {
        await this.run(
          `INSERT INTO cluster_lease (resourceKey, owner, epoch, expiresAt) VALUES ${part.map(() => '(?, ?, 1, ?)').join(', ')} ${onDuplicate}`,
          part.flatMap((key) => [key, owner, at]),
        );
      } catch (e) {
        if (isDeadlock(e) || isLockWaitTimeout(e)) continue;
        throw e;
      }
      for (const [key, epoch] of await this.epochsOwnedUntil(owner, at, part)) if (epoch === 1) taken.push(key);
    }
    return taken;
  }

  /** Extends the lease to now + leaseMs while `owner` still holds it at `epoch` and it has not expired. */
  async renew(key: string, owner: string, epoch: number, now: number, leaseMs: number): Promise<boolean> {
    const n = await this.run(
      'UPDATE cluster_lease SET expiresAt = ? WHERE resourceKey = ? AND owner = ? AND epoch = ? AND expiresAt > ?',
      [sqlTime(now + leaseMs), key, owner, epoch, sqlTime(now)],
    );
    return n === 1;
  }

  /**
   * Renews, in one statement per 200, every lease `owner` holds at the epoch given, that has not expired; the keys
   * renewed. The same rule as `renew`, for an instance holding hundreds of buses: a renewal pass stays short.
   */
  async renewMany(
    owner: string,
    held: readonly { key: string; epoch: number }[],
    now: number,
    leaseMs: number,
  ): Promise<Set<string>> {
    const at = sqlTime(now + leaseMs);
    const renewed = new Set<string>();
    for (const part of chunks(held)) {
      const which = part.map(() => '(resourceKey = ? AND epoch = ?)').join(' OR ');
      const renew = () =>
        this.run(`UPDATE cluster_lease SET expiresAt = ? WHERE owner = ? AND expiresAt > ? AND (${which})`, [
          at,
          owner,
          sqlTime(now),
          ...part.flatMap((h) => [h.key, h.epoch]),
        ]);
      // a deadlock's victim was rolled back at once, nothing renewed: asked again now, not at the next renewal
      let n: number;
      try {
        n = await renew();
      } catch (e) {
        if (!isDeadlock(e)) throw e;
        n = await renew();
      }
      // each (key, epoch) matches one row at most: when every one matched, all are renewed without reading them back
      if (n === part.length) {
        for (const h of part) renewed.add(h.key);
        continue;
      }
      for (const key of await this.ownedUntil(
        owner,
        at,
        part.map((h) => h.key),
      ))
        renewed.add(key);
    }
    return renewed;
  }

  /**
   * Takes, in one statement per 200, the leases among `seen` (rows as last read) that are still free or expired at
   * `now` and still at the epoch read; the keys taken with their new epochs. The same compare-and-set as `acquire`:
   * a row another instance took meanwhile is not matched. A row still locked by its previous holder's fenced
   * transaction makes the statement give up after the lock wait: the rows are then tried one by one.
   */
  async acquireMany(owner: string, seen: readonly Lease[], now: number, leaseMs: number): Promise<Map<string, number>> {
    const at = sqlTime(now + leaseMs);
    const taken = new Map<string, number>();
    const bounded = (await this.isMariaDb())
      ? `SET STATEMENT innodb_lock_wait_timeout = ${ACQUIRE_LOCK_WAIT_S} FOR `
      : '';
    for (const part of chunks(seen)) {
      const which = part.map(() => '(resourceKey = ? AND epoch = ?)').join(' OR ');
      try {
        await this.run(
          `${bounded}UPDATE cluster_lease SET owner = ?, epoch = epoch + 1, expiresAt = ? ` +
            `WHERE (owner IS NULL OR expiresAt <= ?) AND (${which})`,
          [owner, at, sqlTime(now), ...part.flatMap((l) => [l.key, l.epoch])],
        );
      } catch (e) {
        if (!isLockWaitTimeout(e)) throw e;
        for (const l of part) {
          const epoch = await this.acquire(l.key, owner, now, leaseMs, l);
          if (epoch !== null) taken.set(l.key, epoch);
        }
        continue;
      }
      const before = new Map(part.map((l) => [l.key, l.epoch]));
      for (const [key, epoch] of await this.epochsOwnedUntil(
        owner,
        at,
        part.map((l) => l.key),
      ))
        if (epoch === (before.get(key) ?? 0) + 1) taken.set(key, epoch);
    }
    return taken;
  }

  /** Among `keys`, those `owner` holds with exactly this expiry (the one a statement of this pass just wrote). */
  private async ownedUntil(owner: string, at: string, keys: readonly string[]): Promise<string[]> {
    return [...(await this.epochsOwnedUntil(owner, at, keys)).keys()];
  }

  private async epochsOwnedUntil(owner: string, at: string, keys: readonly string[]): Promise<Map<string, number>> {
    if (keys.length === 0) return new Map();
    const rows = await this.dataSource.query<{ resourceKey: string; epoch: string | number }[]>(
      `SELECT resourceKey, epoch FROM cluster_lease WHERE owner = ? AND expiresAt = ? AND resourceKey IN (${keys
        .map(() => '?')
        .join(', ')})`,
      [owner, at, ...keys],
    );
    return new Map(rows.map((r) => [r.resourceKey, Number(r.epoch)]));
  }

  /** Gives the lease up (another instance may take it at once); false when it was no longer ours at `epoch`. */
  async release(key: string, owner: string, epoch: number, now: number): Promise<boolean> {
    const n = await this.run(
      'UPDATE cluster_lease SET owner = NULL, expiresAt = ? WHERE resourceKey = ? AND owner = ? AND epoch = ?',
      [sqlTime(now), key, owner, epoch],
    );
    return n === 1;
  }

  /** Records that `id` is alive at `now` (joining the cluster on its first call). */
  async heartbeat(id: string, label: string, now: number): Promise<void> {
    const at = sqlTime(now);
    const update = 'UPDATE cluster_instance SET lastHeartbeat = ?, label = ? WHERE id = ?';
    if ((await this.run(update, [at, label, id])) === 1) return;
    try {
      await this.run('INSERT INTO cluster_instance (id, label, startedAt, lastHeartbeat) VALUES (?, ?, ?, ?)', [
        id,
        label,
        at,
        at,
      ]);
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      await this.run(update, [at, label, id]);
    }
  }

  /** The instances whose last heartbeat is after `since`, by id. */
  async instances(since: number): Promise<ClusterInstance[]> {
    const rows = await this.dataSource.query<
      { id: string; label: string; startedAt: Date | string; lastHeartbeat: Date | string }[]
    >('SELECT id, label, startedAt, lastHeartbeat FROM cluster_instance WHERE lastHeartbeat > ? ORDER BY id', [
      sqlTime(since),
    ]);
    return rows.map((r) => ({
      id: r.id,
      label: r.label,
      startedAt: msOf(r.startedAt),
      lastHeartbeat: msOf(r.lastHeartbeat),
    }));
  }

  /** Leaves the cluster (a clean shutdown): the others stop counting this instance at once. */
  async leave(id: string): Promise<void> {
    await this.run('DELETE FROM cluster_instance WHERE id = ?', [id]);
  }
}
