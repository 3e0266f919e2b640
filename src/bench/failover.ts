/**
 * `npm run bench -- failover [--json] [--seed n] [--dead f] [--noise f]` (docs/performance.md, docs/cluster.md). The
 * reference county in a simulator child process trusting the cluster's signing certificate; three real server
 * processes (`node dist/src/main.js`, DALABA_CLUSTER=on, DALABA_FIELD=on) ctl-a, ctl-b, ctl-c on one fresh MariaDB
 * database (BENCH_MYSQL_URL, default mysql://root@127.0.0.1:3306), each with its own data folder holding the shared
 * key; the county imported through ctl-a's API before ctl-b and ctl-c start. Once every bus is held once and polled:
 * - `kill -9` of the instance holding the most buses; takeover_s is the time until every bus it held is held by a
 *   survivor and polled by it (src/bench/failover-measure.ts says how a poll is seen);
 * - the killed instance is started again, the cluster settles, then the holder of the most buses is paused
 *   (SIGSTOP) until the same holds (paused_takeover_s), and resumed (SIGCONT): its `/health` and its log then say
 *   whether it kept any bus it had lost.
 * BENCH_BUSES=n registers only the first n buses; DALABA_LEASE_MS is passed on to the instances when set. Tone
 * provisioning is off on the instances (DALABA_PROVISION_TONES=off): the figure is about polling.
 */
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { referenceCounty, type CountyShape } from '../../device-drivers/simulator/county-shape';
import { SimulatorProcess } from '../../device-drivers/simulator/simulator-process';
import { benchResult, resultLine } from '../../device-drivers/bench/report';
import {
  clusterDataDirs,
  createDatabase,
  firstBuses,
  freePort,
  importCounty,
  InstanceProcess,
  login,
  shareKeys,
  sleep,
  type ClusterDatabase,
} from './cluster-launcher';
import {
  chooseVictim,
  everyBusHeldOnce,
  heldGateways,
  heldTwice,
  openConnections,
  requestsBetween,
  TakeoverTracker,
  type InstanceHealth,
} from './failover-measure';
import { alertOutcome, sendCountyAlert, type AlertProbe } from './failover-alert';
import { DEFAULT_LEASE_MS } from '../config/config';

const IDS = ['ctl-a', 'ctl-b', 'ctl-c'];
const PASSWORD = 'bench-failover-1';
const SAMPLE_MS = 100;

interface Options {
  json: boolean;
  seed: number;
  dead: number;
  noise: number;
  alert: boolean;
}

function parse(argv: string[]): Options {
  const o: Options = { json: false, seed: 1, dead: 0.05, noise: 0.01, alert: true };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`${a}: expected a number, got ${argv[i] ?? 'nothing'}`);
      return v;
    };
    if (a === '--json') o.json = true;
    else if (a === '--seed') o.seed = num();
    else if (a === '--dead') o.dead = num();
    else if (a === '--noise') o.noise = num();
    else if (a === '--no-alert') o.alert = false;
    else throw new RangeError(`unknown option ${a}`);
  }
  return o;
}

/** The running cluster: its instances by id, the simulator, the gateway ids by simulator gateway index. */
interface Cluster {
  sim: SimulatorProcess;
  instances: Map<string, InstanceProcess>;
  gatewayIds: number[];
  token: string;
  start(id: string): InstanceProcess;
}

const round = (v: number | null): number | null => (v === null ? null : Number(v.toFixed(3)));

const leaseMs = (): number => Number(process.env.DALABA_LEASE_MS ?? DEFAULT_LEASE_MS);

async function healths(list: InstanceProcess[]): Promise<Map<string, InstanceHealth | null>> {
  const all = await Promise.all(list.map((i) => i.health()));
  return new Map(list.map((i, k) => [i.id, all[k]]));
}

/** Answered requests by gateway id, from the simulator's bus counters. */
async function replies(c: Cluster): Promise<Map<number, number>> {
  const counters = await c.sim.busCounters();
  return new Map(c.gatewayIds.map((id, index) => [id, counters[index]?.replies ?? 0]));
}

/** Waits until every bus is held by exactly one instance, the shares even (±1), and each bus polled since. */
async function settle(c: Cluster, say: (l: string) => void, timeoutMs = 180_000): Promise<number> {
  const started = performance.now();
  const until = started + timeoutMs;
  const running = [...c.instances.values()].filter((i) => i.running);
  while (performance.now() < until) {
    const h = await healths(running);
    const counts = [...h.values()].map((x) => heldGateways(x).length);
    if (everyBusHeldOnce(c.gatewayIds, h.values()) && Math.max(...counts) - Math.min(...counts) <= 1) {
      const before = await replies(c);
      const polled = new TakeoverTracker(0, c.gatewayIds);
      polled.add({ at: 0, survivors: [...h.values()], replies: before });
      while (performance.now() < until && !polled.done) {
        await sleep(500);
        polled.add({ at: 1, survivors: [...h.values()], replies: await replies(c) });
      }
      if (polled.done) {
        say(`settled: ${[...h].map(([id, x]) => `${id} ${heldGateways(x).length}`).join(', ')} buses, each polled`);
        return (performance.now() - started) / 1000;
      }
    }
    await sleep(500);
  }
  throw new Error(`the cluster did not settle within ${timeoutMs} ms`);
}

/** Samples the survivors and the simulator from `t0` until every orphaned bus is polled again (or `timeoutMs`). */
async function followTakeover(
  c: Cluster,
  survivors: InstanceProcess[],
  orphaned: number[],
  t0: number,
  timeoutMs = 60_000,
): Promise<TakeoverTracker> {
  const tracker = new TakeoverTracker(t0, orphaned);
  while (!tracker.done && performance.now() - t0 < timeoutMs) {
    const [h, r] = await Promise.all([healths(survivors), replies(c)]);
    tracker.add({ at: performance.now(), survivors: [...h.values()], replies: r });
    if (!tracker.done) await sleep(SAMPLE_MS);
  }
  return tracker;
}

async function killPhase(c: Cluster, say: (l: string) => void) {
  const h = await healths([...c.instances.values()]);
  const victimId = chooseVictim(h) ?? IDS[0];
  const victim = c.instances.get(victimId)!;
  const orphaned = heldGateways(h.get(victimId) ?? null);
  const survivors = [...c.instances.values()].filter((i) => i !== victim);
  say(`kill -9 ${victimId} (pid ${victim.pid}) holding ${orphaned.length} buses`);
  const t0 = performance.now();
  victim.signal('SIGKILL');
  const tracker = await followTakeover(c, survivors, orphaned, t0);
  await victim.exited;
  const r = tracker.result();
  say(`killed: orphaned buses held again after ${r.held_s} s, polled again after ${r.polled_s} s`);
  return { victimId, orphaned: orphaned.length, ...r, pending: tracker.pending().length };
}

/** `lease lost` lines the instance logged since `fromByte` of its log. */
function lostLines(i: InstanceProcess, fromByte: number): number {
  const text = readFileSync(i.logFile).subarray(fromByte).toString('utf8');
  return text.split('\n').filter((l) => l.includes('lease lost')).length;
}

/** After the resumption: any bus listed by two instances at once, kept at its old epoch by the resumed one? */
async function watchResumed(
  c: Cluster,
  victimId: string,
  before: Map<string, number | null>,
  byFirstAnswer: () => Promise<void>,
) {
  const twice = new Set<number>();
  const kept = new Set<string>();
  let first: InstanceHealth | null = null;
  for (const end = performance.now() + 3 * leaseMs(); performance.now() < end; await sleep(SAMPLE_MS)) {
    const now = await healths([...c.instances.values()]);
    heldTwice(now.values()).forEach((g) => twice.add(g));
    const mine = now.get(victimId) ?? null;
    if (!first && mine) await byFirstAnswer();
    first ??= mine;
    for (const b of mine?.buses ?? []) if (before.has(b.key) && before.get(b.key) === b.epoch) kept.add(b.key);
  }
  return {
    resumed_first_health_buses: first ? first.buses.length : null,
    resumed_kept_old_epoch: kept.size,
    resumed_buses_held_twice: twice.size,
  };
}

async function pausePhase(c: Cluster, say: (l: string) => void) {
  const h = await healths([...c.instances.values()]);
  const victimId = chooseVictim(h) ?? IDS[0];
  const victim = c.instances.get(victimId)!;
  const before = new Map((h.get(victimId)?.buses ?? []).map((b) => [b.key, b.epoch]));
  const orphaned = heldGateways(h.get(victimId) ?? null);
  const survivors = [...c.instances.values()].filter((i) => i !== victim);
  const logAt = readFileSync(victim.logFile).length;
  say(`SIGSTOP ${victimId} (pid ${victim.pid}) holding ${orphaned.length} buses`);
  const t0 = performance.now();
  victim.signal('SIGSTOP');
  // the connections open on its buses now are the paused instance's (a bus is opened by its holder only)
  const atStop = await c.sim.connections();
  const watched = openConnections(
    atStop,
    orphaned.map((g) => c.gatewayIds.indexOf(g)),
  );
  const tracker = await followTakeover(c, survivors, orphaned, t0);
  const pausedS = (performance.now() - t0) / 1000;
  const atResume = await c.sim.connections();
  victim.signal('SIGCONT');
  const r = tracker.result();
  say(`paused ${pausedS.toFixed(1)} s: orphaned buses held again after ${r.held_s} s, polled after ${r.polled_s} s`);
  let atFirstAnswer = atResume;
  const resumed = await watchResumed(c, victimId, before, async () => void (atFirstAnswer = await c.sim.connections()));
  const atEnd = await c.sim.connections();
  return {
    victimId,
    orphaned: orphaned.length,
    paused_s: round(pausedS),
    held_s: round(r.held_s),
    polled_s: round(r.polled_s),
    pending: tracker.pending().length,
    ...resumed,
    resumed_lease_lost_logged: lostLines(victim, logAt),
    // requests the gateways received on the paused instance's own connections: while paused, and once resumed
    victim_connections: watched.length,
    requests_while_paused: requestsBetween(atStop, atResume, watched),
    resumed_requests_on_lost_buses: requestsBetween(atResume, atEnd, watched),
    // …of which before the resumed instance first answered /health
    resumed_requests_before_first_health: requestsBetween(atResume, atFirstAnswer, watched),
  };
}

async function startCluster(
  shape: CountyShape,
  o: Options,
  db: ClusterDatabase,
  dirs: string[],
  sim: SimulatorProcess,
  say: (l: string) => void,
): Promise<Cluster> {
  const ports = await Promise.all(IDS.map(() => freePort()));
  const env: Record<string, string> = { DALABA_PROVISION_TONES: 'off', DALABA_LOG_LEVEL: 'info' };
  if (process.env.DALABA_LEASE_MS) env.DALABA_LEASE_MS = process.env.DALABA_LEASE_MS;
  const instances = new Map<string, InstanceProcess>();
  const start = (id: string): InstanceProcess => {
    const k = IDS.indexOf(id);
    const spec = { id, port: ports[k], dataDir: dirs[k], databaseUrl: db.url, adminPassword: PASSWORD, env };
    const i = InstanceProcess.start(spec);
    instances.set(id, i);
    return i;
  };
  const a = start(IDS[0]);
  await a.waitUp();
  const token = await login(a.url, 'admin', PASSWORD);
  const imported = await importCounty(a.url, token, shape, sim.ports);
  say(`imported through ${a.id}: ${JSON.stringify(imported)}`);
  const gatewayIds = await gatewayIdsByIndex(a.url, token, shape, sim.ports);
  shareKeys(dirs[0], dirs.slice(1));
  for (const id of IDS.slice(1)) start(id);
  await Promise.all([...instances.values()].map((i) => i.waitUp()));
  return { sim, instances, gatewayIds, token, start };
}

/** The registry's gateway ids in simulator gateway order (matched by port). */
async function gatewayIdsByIndex(url: string, token: string, shape: CountyShape, ports: number[]): Promise<number[]> {
  const res = await fetch(`${url}/api/gateways?pageSize=500`, { headers: { authorization: `Bearer ${token}` } });
  const items = ((await res.json()) as { items: { id: number; port: number | null }[] }).items;
  const byPort = new Map(items.map((g) => [g.port, g.id]));
  return shape.gateways.map((_, i) => {
    const id = byPort.get(ports[i]);
    if (id === undefined) throw new Error(`gateway ${i} (port ${ports[i]}) is not in the registry`);
    return id;
  });
}

async function run(o: Options, say: (l: string) => void): Promise<string> {
  const full = referenceCounty();
  const shape = firstBuses(full, Number(process.env.BENCH_BUSES ?? full.gateways.length));
  const { dirs, certificate } = clusterDataDirs(IDS, 'dalaba-bench-failover-');
  const sim = await SimulatorProcess.start({
    shape: 'county',
    seed: o.seed,
    deadFraction: o.dead,
    noise: o.noise,
    trust: [certificate],
  });
  const db = await createDatabase(
    process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
    `dalaba_failover_${process.pid}`,
  );
  let cluster: Cluster | null = null;
  try {
    cluster = await startCluster(shape, o, db, dirs, sim, say);
    const c = cluster;
    const settleS = await settle(c, say);
    const probe: AlertProbe | null = o.alert
      ? await sendCountyAlert(c.instances.get(IDS[1])!.url, PASSWORD, shape, say)
      : null;
    const load = loadavg();
    const killed = await killPhase(c, say);
    const afterKill = (await sim.counters()).repeatedStarts ?? null;
    c.start(killed.victimId);
    await c.instances.get(killed.victimId)!.waitUp();
    await settle(c, say);
    // the killed instance is back: the buses are balanced again, some of them move while the alert may still run
    const afterRestart = (await sim.counters()).repeatedStarts ?? null;
    const paused = await pausePhase(c, say);
    const alert = probe ? await alertOutcome(probe) : null;
    const counters = await sim.counters();
    return resultLine(
      benchResult('failover', killed.polled_s ?? NaN, (leaseMs() * (1 + 1 / 3)) / 1000, null, {
        takeover_s: round(killed.polled_s),
        takeover_held_s: round(killed.held_s),
        paused_takeover_s: round(paused.polled_s),
        paused_takeover_held_s: round(paused.held_s),
        started_twice: counters.repeatedStarts ?? null,
        started_twice_by_phase: {
          kill: afterKill,
          restart_and_rebalance: afterRestart,
          pause: counters.repeatedStarts,
        },
        buses: c.gatewayIds.length,
        bench_buses_env: process.env.BENCH_BUSES ?? null,
        terminals: shape.gateways.reduce((n, g) => n + g.terminals.length, 0),
        orphaned: killed.orphaned,
        killed: killed.victimId,
        not_polled_again: killed.pending,
        paused: paused,
        alert: alert ? { via: IDS[1], ...alert } : null,
        settle_s: Number(settleS.toFixed(1)),
        sample_ms: SAMPLE_MS,
        lease_ms: leaseMs(),
        cores: cpus().length,
        load_average: load.map((l) => Number(l.toFixed(2))),
        noise: o.noise,
        dead: sim.ready.dead.filter(([g]) => g < shape.gateways.length).length,
      }),
    );
  } finally {
    await Promise.all([...(cluster?.instances.values() ?? [])].map((i) => i.stop()));
    await sim.stop();
    await db.drop();
    if (!process.env.BENCH_KEEP) rmSync(dirname(dirs[0]), { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const say = (line: string): void => (o.json ? console.error(line) : console.log(line));
  const limit = setTimeout(() => {
    console.error('bench failover: stopped after its time limit of 900 s');
    process.exit(2);
  }, 900_000);
  const line = await run(o, say);
  clearTimeout(limit);
  console.log(line);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
