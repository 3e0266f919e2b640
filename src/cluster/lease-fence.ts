/**
 * Fencing (docs/cluster.md, "The lease model"): inside the caller's transaction, a check that passes only while a lease
 * still carries the epoch the caller's writes were made under, so that a stale owner's transaction cannot commit. On
 * MariaDB the check locks the lease row until the transaction ends, so a takeover waits for it; the idle limit below
 * keeps a paused holder from keeping that lock. The leases themselves are lease-store.ts's.
 */
import type { QueryRunner } from 'typeorm';
import { DomainError } from '../common/errors';
import { isMySqlFamily } from '../database/dialect';
import { managerOf, type Tx } from '../database/transactions';
import { affected, chunks, type LeaseRow } from './lease-store';

/** A write carried an epoch the lease no longer has: another instance took the resource over (or it was released). */
export class StaleLeaseError extends DomainError {
  constructor(key: string, epoch: number) {
    super('stale_lease', `lease ${key} is no longer held at epoch ${epoch}`, 409, { key, epoch });
  }
}

/** Several leases found stale at once by `fenceAll`: each is named with the epoch it was expected at. */
export class StaleLeasesError extends DomainError {
  constructor(readonly stale: { key: string; epoch: number }[]) {
    super('stale_lease', `leases no longer held: ${stale.map((l) => `${l.key}@${l.epoch}`).join(', ')}`, 409, {
      stale,
    });
  }
}

/**
 * How long a transaction that took a lease row's lock (fence) may stay idle before MariaDB ends it and rolls it back
 * (shorter than the default lease, so the lock is gone before the lease lapses).
 * A process paused in the middle of a fenced transaction (SIGSTOP, a frozen VM) would otherwise keep the lock, and so
 * its bus, from every other instance until it resumes; a process merely slow between two statements for this long
 * loses that write (the callers retry or drop it as for any failed transaction).
 */
export const FENCED_IDLE_LIMIT_S = 3;

/** MariaDB's idle_transaction_timeout for this connection; MySQL has no such variable (its error is ignored). */
async function boundIdle(runner: QueryRunner): Promise<void> {
  try {
    await runner.query(`SET SESSION idle_transaction_timeout = ${FENCED_IDLE_LIMIT_S}`);
  } catch {
    // MySQL 8: no idle_transaction_timeout; a paused holder's lock lasts until its connection ends (docs/cluster.md)
  }
}

/**
 * Inside an open transaction: passes while `key` is held (by anyone: the epoch names one holder's term) at `epoch`,
 * otherwise throws StaleLeaseError so the transaction rolls back. Put it in the same transaction as the rows written
 * on behalf of the lease (a delivery's result, a terminal's status), before or after them: a stale owner's
 * transaction cannot commit. On MariaDB the matched row stays locked until commit, so a takeover (which updates the
 * same row) is ordered after this transaction, never in the middle of it.
 */
export async function fence(tx: Tx, key: string, epoch: number): Promise<void> {
  const manager = managerOf(tx);
  if (!manager.queryRunner) throw new Error('fence() needs an open transaction');
  if (isMySqlFamily(manager.connection)) await boundIdle(manager.queryRunner);
  const n = await affected(
    manager.queryRunner,
    'UPDATE cluster_lease SET epoch = epoch WHERE resourceKey = ? AND epoch = ? AND owner IS NOT NULL',
    [key, epoch],
  );
  if (n !== 1) throw new StaleLeaseError(key, epoch);
}

/**
 * `fence` for many leases in one statement per 200: passes while every one is held at its epoch, otherwise throws
 * StaleLeasesError naming each that is not (the caller rolls back, leaves those out and writes the rest again). Meant
 * to run last, just before commit: on MariaDB the rows are locked (FOR UPDATE) from here to the commit only, so a
 * lease renewal waits for one round trip at most rather than for the whole transaction.
 */
export async function fenceAll(tx: Tx, leases: readonly { key: string; epoch: number }[]): Promise<void> {
  const manager = managerOf(tx);
  if (!manager.queryRunner) throw new Error('fenceAll() needs an open transaction');
  const mysql = isMySqlFamily(manager.connection);
  if (mysql) await boundIdle(manager.queryRunner);
  const found = new Map<string, LeaseRow>();
  for (const part of chunks([...new Set(leases.map((l) => l.key))])) {
    const rows = (await manager.queryRunner.query(
      `SELECT resourceKey, owner, epoch, expiresAt FROM cluster_lease WHERE resourceKey IN (${part.map(() => '?').join(', ')})${mysql ? ' FOR UPDATE' : ''}`,
      part,
    )) as LeaseRow[];
    for (const r of rows) found.set(r.resourceKey, r);
  }
  const stale = leases.filter((l) => {
    const row = found.get(l.key);
    return !row || row.owner === null || Number(row.epoch) !== l.epoch;
  });
  if (stale.length > 0) throw new StaleLeasesError(stale);
}
