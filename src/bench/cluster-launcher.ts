/**
 * Several real server processes (`node dist/src/main.js`) of one cluster on this machine, for `npm run bench --
 * failover` (src/bench/failover.ts) and `npm run cluster:try` (src/bench/cluster-try.ts): a MariaDB database of
 * their own, one data folder per instance holding the cluster's one command-signing key (docs/cluster.md, "Signed
 * commands across owners"), the registry of a simulated county imported through one instance's HTTP API as an
 * administrator would, and each instance's `/health` cluster entry. Run `npm run build` first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createConnection } from 'mysql2/promise';
import type { CountyShape } from '../../device-drivers/simulator/county-shape';
import { gatewaysCsv, regionsCsv, terminalsCsv } from '../../device-drivers/simulator/registry-csv';
import { CommandSigning, type SigningCertificate } from '../field/command-signing';
import type { InstanceHealth } from './failover-measure';

/** The compiled server, beside this file once built (dist/src/bench → dist/src/main.js). */
export const SERVER_MAIN = join(__dirname, '..', 'main.js');

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A TCP port free on 127.0.0.1 now (the kernel's pick for port 0, released at once). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface ClusterDatabase {
  /** DATABASE_URL of the instances. */
  url: string;
  drop(): Promise<void>;
}

/** Creates database `name` on the MariaDB/MySQL server of `serverUrl` (mysql://user[:password]@host:port). */
export async function createDatabase(serverUrl: string, name: string): Promise<ClusterDatabase> {
  if (!/^[a-z0-9_]+$/.test(name)) throw new RangeError(`database name ${name}: letters, digits and _ only`);
  const server = new URL(serverUrl);
  server.pathname = '';
  const connect = () => createConnection({ uri: server.toString() });
  const c = await connect();
  await c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`);
  await c.end();
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const d = await connect();
      await d.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await d.end();
    },
  };
}

/**
 * One data folder per instance under a new temporary folder, all holding the same command-signing key: generated in
 * the first, copied to the others, as docs/cluster.md tells an operator to do (the other keys are copied by
 * `shareKeys` once the first instance has generated them). Returns the folders and the certificate the terminals
 * must trust.
 */
export function clusterDataDirs(
  ids: readonly string[],
  prefix: string,
): { dirs: string[]; certificate: SigningCertificate } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dirs = ids.map((id) => join(root, id));
  const signing = CommandSigning.load(dirs[0]);
  for (const dir of dirs.slice(1)) {
    mkdirSync(dirname(CommandSigning.file(dir)), { recursive: true, mode: 0o700 });
    copyFileSync(CommandSigning.file(dirs[0]), CommandSigning.file(dir));
  }
  return { dirs, certificate: signing.certificate };
}

/**
 * The keys every instance of a cluster shares, in `<data dir>/keys/`: the command-signing key (terminals trust one
 * certificate), the JWT secret (a token from one instance is good on the others), the audit chain's HMAC key (one
 * chain in the shared table) and the upstream signing key (the province knows one certificate).
 */
export const SHARED_KEY_FILES = ['command-signing.json', 'jwt-secret', 'audit-hmac', 'upstream-signing.json'];

/** Copies the shared keys that the first instance generated at its start into the others' data folders. */
export function shareKeys(from: string, to: readonly string[]): void {
  for (const name of SHARED_KEY_FILES) {
    const source = join(from, 'keys', name);
    if (!existsSync(source)) continue;
    for (const dir of to) {
      mkdirSync(join(dir, 'keys'), { recursive: true, mode: 0o700 });
      copyFileSync(source, join(dir, 'keys', name));
    }
  }
}

export interface InstanceSpec {
  id: string;
  port: number;
  dataDir: string;
  databaseUrl: string;
  adminPassword: string;
  /** More variables (DALABA_LEASE_MS, DALABA_REDIS_URL, …); they win over the ones set here. */
  env?: Record<string, string>;
}

/** Every instance this process started: killed when it exits, however it exits (they are not left running). */
const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** A server process of the cluster; its stdout and stderr go to `<data dir>/instance.log`. */
export class InstanceProcess {
  readonly url: string;
  readonly logFile: string;
  readonly exited: Promise<number | null>;

  private constructor(
    readonly spec: InstanceSpec,
    readonly child: ChildProcess,
  ) {
    this.url = `http://127.0.0.1:${spec.port}`;
    this.logFile = join(spec.dataDir, 'instance.log');
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  static start(spec: InstanceSpec): InstanceProcess {
    mkdirSync(spec.dataDir, { recursive: true });
    const log = openSync(join(spec.dataDir, 'instance.log'), 'a');
    const child = spawn(process.execPath, [SERVER_MAIN], {
      stdio: ['ignore', log, log],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(spec.port),
        DATABASE_URL: spec.databaseUrl,
        DALABA_DATA_DIR: spec.dataDir,
        DALABA_ADMIN_PASSWORD: spec.adminPassword,
        DALABA_CLUSTER: 'on',
        DALABA_FIELD: 'on',
        DALABA_INSTANCE_ID: spec.id,
        DALABA_LOG_FORMAT: 'json',
        ...spec.env,
      },
    });
    closeSync(log);
    started.add(child);
    child.once('exit', () => started.delete(child));
    return new InstanceProcess(spec, child);
  }

  get id(): string {
    return this.spec.id;
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM (a clean stop: leases released), SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    this.signal('SIGCONT');
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** `/health`'s cluster entry, or null while the instance does not answer (within `timeoutMs`). */
  async health(timeoutMs = 2_000): Promise<InstanceHealth | null> {
    try {
      const res = await fetch(`${this.url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
      const body = (await res.json()) as { details?: { cluster?: InstanceHealth } };
      return body.details?.cluster ?? null;
    } catch {
      return null;
    }
  }

  /** The last lines of the instance's log (the data folder is removed when the bench ends). */
  logTail(lines = 15): string {
    try {
      return readFileSync(this.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** Resolves once `/health` answers with a cluster entry; rejects if the process exits first or after `timeoutMs`. */
  async waitUp(timeoutMs = 120_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!this.running)
        throw new Error(`${this.id} exited (code ${this.child.exitCode}); its log ends:\n${this.logTail()}`);
      if (await this.health()) return;
      await sleep(250);
    }
    throw new Error(`${this.id} did not answer /health within ${timeoutMs} ms; see ${this.logFile}`);
  }
}

/** The administrator's bearer token on `url`. */
export async function login(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login on ${url}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

async function importTable(url: string, token: string, what: string, csv: string): Promise<number> {
  const form = new FormData();
  form.append('file', new Blob([csv], { type: 'text/csv' }), `${what}.csv`);
  const res = await fetch(`${url}/api/${what}/import`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const body = await res.text();
  if (res.status !== 200) throw new Error(`import of ${what} on ${url}: ${res.status} ${body.slice(0, 500)}`);
  return (JSON.parse(body) as { imported: number }).imported;
}

/**
 * Registers a simulated county through `url`'s import API (regions, gateways at the ports the simulator listens on,
 * terminals), all or nothing per table. The instances started afterwards read every gateway at their start; those
 * already running learn of them only if they made the change (docs/cluster.md, "Not done yet").
 */
export async function importCounty(
  url: string,
  token: string,
  shape: CountyShape,
  ports: readonly number[],
): Promise<{ regions: number; gateways: number; terminals: number }> {
  return {
    regions: await importTable(url, token, 'regions', regionsCsv(shape)),
    gateways: await importTable(url, token, 'gateways', gatewaysCsv(shape, ports)),
    terminals: await importTable(url, token, 'terminals', terminalsCsv(shape)),
  };
}

/** The reference county cut to its first `buses` gateways (every area kept), for a machine too small for all. */
export function firstBuses(shape: CountyShape, buses: number): CountyShape {
  return { ...shape, gateways: shape.gateways.slice(0, buses) };
}
