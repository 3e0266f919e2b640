/**
 * One unit of work across repositories (and the audit log), so that nothing accepted is half-written.
 * Services see only `Tx` (opaque) and `Transactions.run`; repositories unwrap it to TypeORM's EntityManager.
 * A repository may ask to be told when the transaction has ended (committed or rolled back) with `onTxEnd`;
 * the audit log uses it to hold its append lock until the audit row is committed.
 */
import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';

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
  constructor(private readonly dataSource: DataSource) {}

  async run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const hooks: (() => void)[] = [];
    try {
      return await this.dataSource.transaction((manager) => {
        endHooks.set(manager, hooks);
        return work(manager as unknown as Tx);
      });
    } finally {
      for (const hook of hooks) hook();
    }
  }
}
