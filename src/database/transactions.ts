/**
 * One unit of work across repositories (and the audit log), so that nothing accepted is half-written.
 * Services see only `Tx` (opaque) and `Transactions.run`; repositories unwrap it to TypeORM's EntityManager.
 * A repository may ask to be told when the transaction has ended (committed or rolled back) with `onTxEnd`;
 * the audit log uses it to hold its append lock until the audit row is committed.
 *
 * SQLite: TypeORM drives better-sqlite3 through one shared connection, where a second transaction opened while one
 * is running silently becomes a savepoint inside it (and is lost if the first rolls back). So on SQLite transactions
 * are queued, one at a time. Opening a transaction inside another is refused on every database: pass `tx` down.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { Mutex } from '../common/mutex';

declare const txBrand: unique symbol;
/** An open transaction. Opaque outside repositories. */
export interface Tx {
  readonly [txBrand]: true;
}

export function managerOf(tx: Tx): EntityManager {
  return tx as unknown as EntityManager;
}

const endHooks = new WeakMap<EntityManager, (() => void)[]>();

/** Calls `hook` once the transaction ends; false when `tx` was not opened by Transactions.run. */
export function onTxEnd(tx: Tx, hook: () => void): boolean {
  const hooks = endHooks.get(managerOf(tx));
  if (!hooks) return false;
  hooks.push(hook);
  return true;
}

@Injectable()
export class Transactions {
  private readonly inside = new AsyncLocalStorage<true>();
  private readonly sqliteQueue: Mutex | null;

  constructor(private readonly dataSource: DataSource) {
    this.sqliteQueue = dataSource.options.type === 'better-sqlite3' ? new Mutex() : null;
  }

  async run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    if (this.inside.getStore()) {
      throw new Error('Transactions.run was called inside a transaction: pass the open tx down instead');
    }
    const release = this.sqliteQueue ? await this.sqliteQueue.acquire() : null;
    const hooks: (() => void)[] = [];
    try {
      return await this.inside.run(true, () =>
        this.dataSource.transaction((manager) => {
          endHooks.set(manager, hooks);
          return work(manager as unknown as Tx);
        }),
      );
    } finally {
      for (const hook of hooks) hook();
      release?.();
    }
  }
}
