/**
 * One unit of work across repositories (and the audit log), so that nothing accepted is half-written.
 * Services see only `Tx` (opaque) and `Transactions.run`; repositories unwrap it to TypeORM's EntityManager.
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

@Injectable()
export class Transactions {
  constructor(private readonly dataSource: DataSource) {}

  run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.dataSource.transaction((manager) => work(manager as unknown as Tx));
  }
}
