/**
 * Databases for integration suites: a temp SQLite file, or a fresh MariaDB/MySQL database created from TEST_MYSQL_URL
 * with a unique name per suite and dropped afterwards. `forEachDatabase` runs one suite on both (MariaDB only when
 * TEST_MYSQL_URL is set; otherwise one skipped test says so).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import { describeWith } from './capabilities';

export type TestDatabaseKind = 'sqlite' | 'mysql';

export interface TestDatabase {
  kind: TestDatabaseKind;
  /** DATABASE_URL for the server. */
  url: string;
  /** Data folder (SQLite file, keys, audio) for the server, removed by drop(). */
  dataDir: string;
  drop(): Promise<void>;
}

function mysqlServerUrl(name?: string): string {
  const base = process.env.TEST_MYSQL_URL;
  if (!base) throw new Error('TEST_MYSQL_URL is not set');
  const url = new URL(base);
  url.pathname = name ? `/${name}` : '/';
  return url.toString();
}

/** Creates an empty database of the given kind and a temp data folder. */
export async function createTestDatabase(kind: TestDatabaseKind): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dalaba-test-'));
  const removeDir = (): void => rmSync(dataDir, { recursive: true, force: true });
  if (kind === 'sqlite') {
    return { kind, url: `sqlite:${join(dataDir, 'dalaba.sqlite')}`, dataDir, drop: () => Promise.resolve(removeDir()) };
  }
  const name = `dalaba_t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = await createConnection({ uri: mysqlServerUrl(), connectTimeout: 10_000 });
  try {
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  return {
    kind,
    url: mysqlServerUrl(name),
    dataDir,
    drop: async () => {
      const conn = await createConnection({ uri: mysqlServerUrl(), connectTimeout: 10_000 });
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await conn.end();
        removeDir();
      }
    },
  };
}

/** Runs `fn` as a suite on SQLite and, when TEST_MYSQL_URL is set, on MariaDB/MySQL. */
export function forEachDatabase(name: string, fn: (kind: TestDatabaseKind) => void): void {
  describe(`${name} [sqlite]`, () => fn('sqlite'));
  describeWith(['mysql'], `${name} [mariadb]`, () => fn('mysql'));
}
