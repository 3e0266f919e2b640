/**
 * TypeORM options for the configured database: embedded SQLite (better-sqlite3) or MySQL/MariaDB (mysql2).
 * MariaDB is detected by asking the server its version: TypeORM's `mysql` type loses JSON data on MariaDB, so the
 * `mariadb` type is used there. Schema comes from migrations only (run at start), never from `synchronize`.
 */
import { createConnection } from 'mysql2/promise';
import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import type { DatabaseConfig } from '../config/config';
import { ENTITIES } from './entities';

export type MysqlFlavour = 'mysql' | 'mariadb';

/** Asks a MySQL-protocol server whether it is MariaDB. Bounded by a connect timeout. */
export async function detectMysqlFlavour(url: string): Promise<MysqlFlavour> {
  const conn = await createConnection({ uri: url, connectTimeout: 10_000 });
  try {
    const [rows] = await conn.query('SELECT VERSION() AS v');
    const version = String((rows as { v: string }[])[0]?.v ?? '');
    return /mariadb/i.test(version) ? 'mariadb' : 'mysql';
  } finally {
    await conn.end();
  }
}

export async function dataSourceOptions(db: DatabaseConfig): Promise<DataSourceOptions> {
  const common = {
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsRun: true,
    migrationsTransactionMode: 'each',
    synchronize: false,
    logging: false,
  } as const;
  if (db.kind === 'sqlite') {
    if (!db.sqlitePath) throw new Error('sqlite database without a file path');
    return {
      ...common,
      type: 'better-sqlite3',
      database: db.sqlitePath,
      prepareDatabase: (conn: { pragma(s: string): unknown }) => {
        conn.pragma('journal_mode = WAL');
        conn.pragma('busy_timeout = 5000');
      },
    };
  }
  if (!db.url) throw new Error('mysql database without a URL');
  const url = db.url.reveal();
  return {
    ...common,
    type: await detectMysqlFlavour(url),
    url,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    connectTimeout: 10_000,
    extra: { connectionLimit: 10 },
  };
}
