/**
 * `npm run cluster:try` (docs/cluster.md, "Running several instances"): three clustered instances on this machine, to
 * try the cluster out. Builds (the npm script), then: the simulated reference county in a child process (trusting the
 * cluster's signing certificate), a new MariaDB database (CLUSTER_TRY_MYSQL_URL, default mysql://root@127.0.0.1:3306),
 * ctl-a on http://127.0.0.1:3001, the county imported through its API, then ctl-b on 3002 and ctl-c on 3003; prints
 * the URLs, the administrator's password and where the logs are. DALABA_REDIS_URL, when set, is passed on (with a
 * prefix of this run's own) so `/live` is shared; DALABA_LEASE_MS likewise. Ctrl-C stops the instances (leases
 * released), the simulator, drops the database and removes the data folders. No container runtime involved.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { SimulatorProcess } from '../../device-drivers/simulator/simulator-process';
import { clusterDataDirs, createDatabase, importCounty, InstanceProcess, login, shareKeys } from './cluster-launcher';

const IDS = ['ctl-a', 'ctl-b', 'ctl-c'];
const BASE_PORT = 3001;

function instanceEnv(): Record<string, string> {
  const env: Record<string, string> = {
    // provisioning the built-in tones on 3,300 simulated terminals three ways would keep two cores busy for long
    DALABA_PROVISION_TONES: process.env.DALABA_PROVISION_TONES ?? 'off',
    DALABA_LOG_LEVEL: process.env.DALABA_LOG_LEVEL ?? 'info',
  };
  if (process.env.DALABA_LEASE_MS) env.DALABA_LEASE_MS = process.env.DALABA_LEASE_MS;
  if (process.env.DALABA_REDIS_URL) {
    env.DALABA_REDIS_URL = process.env.DALABA_REDIS_URL;
    env.DALABA_REDIS_PREFIX = `dalaba-try-${process.pid}`;
  }
  return env;
}

async function main(): Promise<void> {
  const shape = referenceCounty();
  const password = process.env.DALABA_ADMIN_PASSWORD ?? `Try-${randomBytes(9).toString('base64url')}`;
  const { dirs, certificate } = clusterDataDirs(IDS, 'dalaba-cluster-try-');
  console.log(`starting the simulated county (${shape.gateways.length} gateways)…`);
  const sim = await SimulatorProcess.start({ shape: 'county', seed: 1, trust: [certificate] });
  const db = await createDatabase(
    process.env.CLUSTER_TRY_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
    `dalaba_try_${process.pid}`,
  );
  const env = instanceEnv();
  const instances: InstanceProcess[] = [];
  const start = (k: number): InstanceProcess => {
    const spec = {
      id: IDS[k],
      port: BASE_PORT + k,
      dataDir: dirs[k],
      databaseUrl: db.url,
      adminPassword: password,
      env,
    };
    const i = InstanceProcess.start(spec);
    instances.push(i);
    return i;
  };
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping the instances, the simulator, dropping the database…');
    await Promise.all(instances.map((i) => i.stop()));
    await sim.stop();
    await db.drop();
    rmSync(dirname(dirs[0]), { recursive: true, force: true });
    console.log('stopped.');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  try {
    const a = start(0);
    console.log(`${a.id}: starting on ${a.url} (database ${db.url}, migrations)…`);
    await a.waitUp();
    const token = await login(a.url, 'admin', password);
    const imported = await importCounty(a.url, token, shape, sim.ports);
    console.log(`county imported through ${a.id}: ${JSON.stringify(imported)}`);
    shareKeys(dirs[0], dirs.slice(1));
    start(1);
    start(2);
    await Promise.all(instances.map((i) => i.waitUp()));
  } catch (e) {
    console.error(`cluster:try: ${(e as Error).message}`);
    await stop();
  }
  console.log(
    [
      '',
      'three instances of one cluster:',
      ...instances.map((i) => `  ${i.id}: ${i.url}   (health ${i.url}/health, log ${i.logFile})`),
      `administrator: admin / ${password}`,
      `signing certificate ${certificate.serial}, trusted by the simulated terminals`,
      `try: kill -9 ${instances[0].pid} (${instances[0].id}) and watch the others' /health take its buses`,
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
