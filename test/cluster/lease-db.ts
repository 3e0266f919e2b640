/**
 * Several instances' views of one database for the cluster suites: a DataSource each (own connection or pool) over
 * the same SQLite file or MariaDB database, migrated once, and a LeaseStore on each.
 */
import { DataSource } from 'typeorm';
import { LeaseStore } from '../../src/cluster/lease-store';
import type { DatabaseConfig } from '../../src/config/config';
import { Secret } from '../../src/config/env-values';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { createTestDatabase, type TestDatabase, type TestDatabaseKind } from '../support/databases';

export interface SharedDatabase {
  db: TestDatabase;
  sources: DataSource[];
  stores: LeaseStore[];
  close(): Promise<void>;
}

export async function sharedDatabase(kind: TestDatabaseKind, instances: number): Promise<SharedDatabase> {
  const db = await createTestDatabase(kind);
  const config: DatabaseConfig =
    kind === 'sqlite' ? { kind, sqlitePath: db.url.slice('sqlite:'.length) } : { kind, url: new Secret(db.url) };
  const sources: DataSource[] = [];
  try {
    for (let i = 0; i < instances; i++)
      sources.push(await new DataSource(await dataSourceOptions(config)).initialize());
  } catch (e) {
    await Promise.all(sources.map((s) => s.destroy()));
    await db.drop();
    throw e;
  }
  return {
    db,
    sources,
    stores: sources.map((s) => new LeaseStore(s)),
    close: async () => {
      await Promise.all(sources.map((s) => s.destroy()));
      await db.drop();
    },
  };
}
