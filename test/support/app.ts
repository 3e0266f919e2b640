/**
 * Integration-test harness: the real AppModule on a temp SQLite file or a fresh MariaDB database, listening on port 0.
 *
 *   const t = await createTestApp({ database: 'sqlite' });
 *   const token = await t.login('admin', TEST_ADMIN_PASSWORD);
 *   const { token: tech } = await t.createUser({ username: 'tech1', roles: ['technician'], scopes: ['341523100000'] });
 *   await t.http.get('/api/users').set(t.auth(token)).expect(200);
 *   await t.close();
 *
 * Pass `db` (from createTestDatabase) to restart a server on the same database: close({ keepDatabase: true }).
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { NestFactory } from '@nestjs/core';
import request from 'supertest';
import type TestAgent from 'supertest/lib/agent';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { setUpApp } from '../../src/app.setup';
import { AccountsBootstrap } from '../../src/auth/accounts.bootstrap';
import { SYSTEM_ACTOR, type Role } from '../../src/auth/auth-user';
import { UsersService } from '../../src/auth/users.service';
import { AppConfig, loadConfig } from '../../src/config/config';
import { prepareDataDir } from '../../src/config/data-dir';
import { TestDatabase, TestDatabaseKind, createTestDatabase } from './databases';

export const TEST_ADMIN_PASSWORD = 'admin-test-password';
export const TEST_USER_PASSWORD = 'user-test-password';

export interface TestAppOptions {
  database: TestDatabaseKind;
  /** Reuse a database (and its data folder) created earlier, e.g. to restart on it. */
  db?: TestDatabase;
  /** Start in demo mode (demo accounts; feature modules seed their demo data). */
  demo?: boolean;
  /** Extra environment variables for loadConfig. */
  env?: Record<string, string>;
}

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  db: TestDatabase;
  /** supertest agent bound to the listening server. */
  http: TestAgent;
  /** http://127.0.0.1:<port> */
  baseUrl: string;
  dataSource: DataSource;
  /** Logs in through POST /api/auth/login and returns the access token (fails the test on a non-200). */
  login(username: string, password: string): Promise<string>;
  /** The Authorization header for a token: `.set(t.auth(token))`. */
  auth(token: string): { Authorization: string };
  /** Token of the built-in `admin`. */
  adminToken(): Promise<string>;
  /** Creates an account directly (as the system) and logs it in. */
  createUser(spec: {
    username: string;
    roles: Role[];
    scopes?: string[];
    password?: string;
  }): Promise<{ id: number; token: string }>;
  /** Stops the server; drops the database unless `keepDatabase` or it was passed in `db`. */
  close(opts?: { keepDatabase?: boolean }): Promise<void>;
}

export async function createTestApp(options: TestAppOptions): Promise<TestApp> {
  const ownsDb = !options.db;
  const db = options.db ?? (await createTestDatabase(options.database));
  const config = prepareDataDir(
    loadConfig(
      {
        PORT: '0',
        DALABA_DATA_DIR: db.dataDir,
        DATABASE_URL: db.url,
        DALABA_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
        DALABA_LOG_LEVEL: process.env.DALABA_TEST_LOG_LEVEL ?? 'silent',
        // suites that drive the field (simulated gateways) switch it on; the others never dial registry addresses
        DALABA_FIELD: 'off',
        // tones stored on terminals in the background would share the buses with what a suite asserts: on where tested
        DALABA_PROVISION_TONES: 'off',
        ...options.env,
      },
      options.demo ? ['--demo'] : [],
    ),
  );
  let app: NestExpressApplication;
  try {
    app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
      logger: false,
      abortOnError: false,
      forceCloseConnections: true,
    });
    setUpApp(app);
    await app.listen(0, '127.0.0.1');
  } catch (e) {
    if (ownsDb) await db.drop();
    throw e;
  }
  const address = app.getHttpServer().address() as { port: number };
  const baseUrl = `http://127.0.0.1:${address.port}`;
  const http = request(app.getHttpServer());
  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

  const login = async (username: string, password: string): Promise<string> => {
    const res = await http.post('/api/auth/login').send({ username, password });
    if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${JSON.stringify(res.body)}`);
    return (res.body as { accessToken: string }).accessToken;
  };

  return {
    app,
    config,
    db,
    http,
    baseUrl,
    dataSource: app.get(DataSource),
    login,
    auth,
    adminToken: () =>
      login('admin', options.demo ? (app.get(AccountsBootstrap).demoPassword ?? '') : TEST_ADMIN_PASSWORD),
    createUser: async ({ username, roles, scopes = [], password = TEST_USER_PASSWORD }) => {
      const user = await app.get(UsersService).create({ username, password, roles, scopes }, SYSTEM_ACTOR);
      return { id: user.id, token: await login(username, password) };
    },
    close: async (opts = {}) => {
      await app.close();
      if (ownsDb && !opts.keepDatabase) await db.drop();
    },
  };
}
