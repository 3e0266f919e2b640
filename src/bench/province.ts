/**
 * `npm run bench -- province [--json] [--terminals n] [--rate n] [--seconds n] …` (docs/performance.md, "Province";
 * docs/cluster.md). A province of `terminals` simulated terminals (default 100,000: reference counties 34PP21–26,
 * device-drivers/simulator/province-shape.ts) served by several simulator processes, one contiguous part each; its
 * registry imported county by county through the API of ctl-a started alone with the field off; then three real server
 * processes ctl-a, ctl-b, ctl-c (src/bench/cluster-launcher.ts: DALABA_CLUSTER=on, DALABA_FIELD=on) on one new MariaDB
 * database (BENCH_MYSQL_URL, default mysql://root@127.0.0.1:3306) with `/live` shared through Redis
 * (BENCH_REDIS_URL, default redis://127.0.0.1:6379, a key prefix of the run's own). Once every bus is held once (or
 * `--settle-timeout` passed), one `/live` client on ctl-a, subscribed as the administrator to the whole province, and
 * the simulators turn terminals' volume at `rate` changes a second (device-drivers/simulator/churn.ts). Over the
 * `seconds` after a `warmup`: status changes stored in the history per second, change → client latency (matched
 * against the simulators' logs, src/bench/province-measure.ts), each instance's largest resident memory, the most
 * buses held by no instance at a health check. Tone provisioning and the nightly self-test are off.
 */
import { readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import { benchResult, resultLine } from '../../device-drivers/bench/report';
import type { CountyShape } from '../../device-drivers/simulator/county-shape';
import { provinceShape, splitShape, terminalCount } from '../../device-drivers/simulator/province-shape';
import { TRUST } from '../cluster/lease-manager';
import { DEFAULT_LEASE_MS } from '../config/config';
import type { SigningCertificate } from '../field/command-signing';
import {
  clusterDataDirs,
  createDatabase,
  freePort,
  InstanceProcess,
  login,
  shareKeys,
  sleep,
  type ClusterDatabase,
} from './cluster-launcher';
import { heldGateways } from './failover-measure';
import {
  HeartbeatWatch,
  HealthWatch,
  historyRows,
  importProvince,
  ProcessWatch,
  registryIds,
  startSimulators,
  type ProvinceSimulators,
  type RegistryIds,
} from './province-cluster';
import { ProvinceLiveClient } from './province-live';
import { parseProvinceArgs, simProcessesFor, type Options } from './province-options';
import {
  addMade,
  latencySummary,
  liveP99BoundMs,
  gapSummary,
  logFigures,
  matchChanges,
  type MadeChanges,
  type MatchResult,
} from './province-measure';

const IDS = ['ctl-a', 'ctl-b', 'ctl-c'];
const PASSWORD = 'bench-province-1';
/** The goals of the issue (docs/performance.md, "Goals"). */
const GOALS = { changes_per_s: 10_000, live_p99_ms: 250, rss_mb_max: 512 };

const sum = (xs: Iterable<number>): number => [...xs].reduce((n, x) => n + x, 0);
const round = (v: number, digits = 3): number => Number(v.toFixed(digits));

function instanceEnv(): Record<string, string> {
  const env: Record<string, string> = {
    DALABA_PROVISION_TONES: 'off',
    DALABA_SELFTEST_WINDOW: 'off',
    DALABA_LOG_LEVEL: 'info',
    DALABA_REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
    DALABA_REDIS_PREFIX: `dalaba-bench-province-${process.pid}`,
  };
  for (const name of ['DALABA_LEASE_MS', 'DALABA_POLL_PAUSE_MS']) {
    const v = process.env[name];
    if (v) env[name] = v;
  }
  return env;
}

/** What is read at each end of the measured window. */
interface Mark {
  wall: number;
  perf: number;
  rows: number;
  rowsAt: number;
  replies: number;
  cpu: Map<string, number | null>;
  load: number[];
}

async function mark(db: ClusterDatabase, sims: ProvinceSimulators, watch: ProcessWatch): Promise<Mark> {
  const [wall, perf, cpu, load] = [Date.now(), performance.now(), watch.cpuTicks(), loadavg()];
  const counters = await Promise.all(sims.sims.map((s) => s.busCounters()));
  const replies = sum(counters.flat().map((c) => c.replies));
  const rows = await historyRows(db.url);
  return { wall, perf, rows, rowsAt: Date.now(), replies, cpu, load };
}

/** Everything the run started, stopped in `finally` whatever happened. */
interface Run {
  o: Options;
  say: (line: string) => void;
  began: number;
  shape: CountyShape;
  parts: CountyShape[];
  dirs: string[];
  certificate: SigningCertificate;
  watch: ProcessWatch;
  env: Record<string, string>;
  instances: InstanceProcess[];
  sims: ProvinceSimulators | null;
  db: ClusterDatabase | null;
  health: HealthWatch | null;
  beats: HeartbeatWatch | null;
  client: ProvinceLiveClient | null;
}

/** The registry through ctl-a alone with the field off (nothing polled while it grows), then the three instances. */
async function startCluster(r: Run, sims: ProvinceSimulators, db: ClusterDatabase) {
  const ports = await Promise.all(IDS.map(() => freePort()));
  const spec = (k: number, more: Record<string, string> = {}) => ({
    id: IDS[k],
    port: ports[k],
    dataDir: r.dirs[k],
    databaseUrl: db.url,
    adminPassword: PASSWORD,
    env: { ...r.env, ...more },
  });
  const importer = InstanceProcess.start(spec(0, { DALABA_FIELD: 'off' }));
  r.watch.watch('import', importer.pid);
  await importer.waitUp(300_000);
  const importFrom = performance.now();
  const token = await login(importer.url, 'admin', PASSWORD);
  const imported = await importProvince(importer.url, token, r.shape, sims.ports, r.say);
  const importS = (performance.now() - importFrom) / 1000;
  r.say(`imported ${imported.terminals} terminals in ${importS.toFixed(1)} s`);
  await importer.stop(60_000);
  shareKeys(r.dirs[0], r.dirs.slice(1));
  const ids = await registryIds(db.url, r.shape);
  const startFrom = performance.now();
  for (const k of IDS.keys()) {
    const i = InstanceProcess.start(spec(k));
    r.instances.push(i);
    r.watch.watch(i.id, i.pid);
  }
  await Promise.all(r.instances.map((i) => i.waitUp(600_000)));
  return { ids, imported, importS, upS: (performance.now() - startFrom) / 1000 };
}

/** Seconds until a health check found every bus held by exactly one instance; null if not within the timeout. */
async function settle(r: Run, health: HealthWatch): Promise<number | null> {
  const from = performance.now();
  while (health.settledAt(from) === null && performance.now() - from < r.o.settleTimeoutS * 1000) await sleep(1000);
  const at = health.settledAt(from);
  return at === null ? null : round((at - from) / 1000, 1);
}

/** The churn over the simulators' live terminals, split as they hold them; the window measured after the warm-up. */
async function churnAndMeasure(r: Run, sims: ProvinceSimulators, db: ClusterDatabase, client: ProvinceLiveClient) {
  const liveUnits = r.parts.map((p, k) => terminalCount(p) - sims.sims[k].ready.dead.length);
  client.recording = true;
  const startedAt = performance.now();
  const rate = (k: number): number => (r.o.ratePerS * liveUnits[k]) / sum(liveUnits);
  await Promise.all(sims.sims.map((sim, k) => sim.startChurn(rate(k), r.o.seed * 1000 + k)));
  r.say(`churn: ${r.o.ratePerS} volume changes/s over ${sum(liveUnits)} live terminals; warm-up ${r.o.warmupS} s`);
  await sleep(r.o.warmupS * 1000);
  // who holds each bus as the window opens: a state of another instance's bus came through Redis
  const holders = new Map<number, string>();
  for (const i of r.instances) for (const g of heldGateways(await i.health(10_000))) holders.set(g, i.id);
  const w0 = await mark(db, sims, r.watch);
  await sleep(r.o.seconds * 1000);
  const w1 = await mark(db, sims, r.watch);
  await Promise.all(sims.sims.map((sim) => sim.stopChurn()));
  r.say(`measured ${r.o.seconds} s; draining ${r.o.drainS} s`);
  await sleep(r.o.drainS * 1000);
  client.recording = false;
  return { w0, w1, holders, churnAfterS: round((startedAt - r.began) / 1000, 1) };
}

/** The changes the simulators logged, by terminal id of the registry. */
async function madeChanges(r: Run, sims: ProvinceSimulators, ids: RegistryIds): Promise<[MadeChanges, number]> {
  const made: MadeChanges = new Map();
  let total = 0;
  for (const [k, sim] of sims.sims.entries()) {
    const log = await sim.churnLog();
    total += log.at.length;
    log.at.forEach((at, i) => {
      const id = ids.terminalIds.get(`${r.parts[k].gateways[log.gateway[i]].index}:${log.unit[i]}`);
      if (id !== undefined) addMade(made, id, at, log.volume[i]);
    });
  }
  return [made, total];
}

async function run(r: Run): Promise<string> {
  const { o, say, shape, watch } = r;
  const sims = (r.sims = await startSimulators(o.terminals, r.parts, o, r.certificate));
  sims.sims.forEach((sim, k) => watch.watch(`simulator-${k + 1}`, sim.pid));
  say(
    `province: ${o.terminals} terminals, ${shape.gateways.length} buses in ${r.parts.length} simulator processes (${sims.dead.length} dead)`,
  );
  const db = (r.db = await createDatabase(
    process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306',
    `dalaba_province_${process.pid}`,
  ));
  const cluster = await startCluster(r, sims, db);
  const health = (r.health = new HealthWatch(() => r.instances, cluster.ids.gatewayIds));
  r.beats = new HeartbeatWatch(db.url);
  const settleS = await settle(r, health);
  say(`instances up in ${cluster.upS.toFixed(1)} s; every bus held once after ${settleS ?? '(timed out)'} s`);
  const viaA = r.instances[0];
  const client = (r.client = await ProvinceLiveClient.connect(viaA.url, await login(viaA.url, 'admin', PASSWORD)));
  const w = await churnAndMeasure(r, sims, db, client);
  const [made, churnMade] = await madeChanges(r, sims, cluster.ids);
  for (const seen of client.seen) {
    const holder = seen.gatewayId === undefined ? undefined : w.holders.get(seen.gatewayId);
    seen.route = holder === undefined ? 'unheld' : holder === viaA.id ? 'local' : 'redis';
  }
  const m = matchChanges(made, client.seen, { from: w.w0.wall, to: w.w1.wall });
  return resultLine(figures(r, sims, { ...cluster, ...w, settleS, m, churnMade, health, client }));
}

/** liveP99BoundMs over the province's buses and their live units. */
function pollBoundMs(shape: CountyShape, sims: ProvinceSimulators, pauseMs: number): number {
  const deadOn = new Map<number, number>();
  for (const [g] of sims.dead) deadOn.set(g, (deadOn.get(g) ?? 0) + 1);
  const buses = shape.gateways.map((g) => ({ gateway: g, liveUnits: g.terminals.length - (deadOn.get(g.index) ?? 0) }));
  return liveP99BoundMs(buses, pauseMs);
}

/** How the instances held their buses over the window, what they said of it, and the CPU they had. */
function clusterFigures(r: Run, health: HealthWatch, w0: Mark, w1: Mark) {
  const windowS = (w1.wall - w0.wall) / 1000;
  const holding = health.between(w0.perf, w1.perf);
  const said = r.instances.map((i) => logFigures(readFileSync(i.logFile, 'utf8'), w0.wall, w1.wall));
  const trustedMs = Number(r.env.DALABA_LEASE_MS ?? DEFAULT_LEASE_MS) * TRUST;
  const cores = (id: string): number | null => {
    const [a, b] = [w0.cpu.get(id), w1.cpu.get(id)];
    return a == null || b == null ? null : round((b - a) / 100 / windowS);
  };
  return {
    buses_unheld_max: holding.unheldMax,
    buses_held_twice_max: holding.heldTwiceMax,
    health_checks: holding.checks,
    health_checks_unanswered: health.incomplete,
    leases_lost: Object.fromEntries(IDS.map((id, k) => [id, said[k]?.leasesLost ?? null])),
    status_changes_refused_per_s: Math.round(sum(said.map((x) => x.statusRefused)) / windowS),
    renewal_gap_ms: gapSummary(r.beats?.gaps ?? [], w0.wall, w1.wall, trustedMs),
    renewal_trusted_ms: trustedMs,
    cpu_cores: Object.fromEntries(IDS.map((id) => [id, cores(id)])),
    cores: cpus().length,
    load_average: { start: w0.load.map((l) => round(l, 2)), end: w1.load.map((l) => round(l, 2)) },
  };
}

/** The JSON line's figures. */
function figures(
  r: Run,
  sims: ProvinceSimulators,
  f: Awaited<ReturnType<typeof startCluster>> &
    Awaited<ReturnType<typeof churnAndMeasure>> & {
      settleS: number | null;
      m: MatchResult;
      churnMade: number;
      health: HealthWatch;
      client: ProvinceLiveClient;
    },
) {
  const { o, watch, shape } = r;
  const { w0, w1, m } = f;
  const windowS = (w1.wall - w0.wall) / 1000;
  const live = latencySummary(m.toClient);
  const pauseMs = Number(r.env.DALABA_POLL_PAUSE_MS ?? 1000);
  const boundMs = pollBoundMs(shape, sims, pauseMs);
  const changesPerS = Math.round((w1.rows - w0.rows) / ((w1.rowsAt - w0.rowsAt) / 1000));
  const rss = Object.fromEntries(IDS.map((id) => [id, watch.rssMbMax.get(id) ?? null]));
  const rssMax = Math.max(...IDS.map((id) => watch.rssMbMax.get(id) ?? 0));
  const cluster = clusterFigures(r, f.health, w0, w1);
  r.say(
    `changes stored ${changesPerS}/s; change → client p50 ${live.p50} ms, p99 ${live.p99} ms; rss max ${JSON.stringify(rss)}; buses unheld at most ${cluster.buses_unheld_max}`,
  );
  return benchResult('province', (live.p99 ?? NaN) / 1000, boundMs / 1000, null, {
    terminals: o.terminals,
    buses: shape.gateways.length,
    counties: shape.areas.filter((a) => a.level === 'county').length,
    simulator_processes: r.parts.length,
    dead: sims.dead.length,
    changes_per_s: changesPerS,
    live_p50_ms: live.p50,
    live_p99_ms: live.p99,
    live_max_ms: live.max,
    change_to_poll_ms: latencySummary(m.toPoll),
    poll_to_client_ms: latencySummary(m.pollToClient),
    live_ms_by_route: Object.fromEntries(Object.entries(m.toClientByRoute).map(([k, ms]) => [k, latencySummary(ms)])),
    rss_mb_max: rss,
    goals: GOALS,
    goals_met: {
      changes_per_s: changesPerS >= GOALS.changes_per_s,
      live_p99_ms: live.p99 !== null && live.p99 <= GOALS.live_p99_ms,
      rss_mb_max: rssMax <= GOALS.rss_mb_max,
    },
    churn_rate_per_s: o.ratePerS,
    churn_changes: { made: m.made, seen: m.seen, overwritten: m.overwritten, unseen: m.unseen },
    churn_made_per_s: Math.round(m.made / windowS),
    churn_made_total: f.churnMade,
    polls_per_s: Math.round((w1.replies - w0.replies) / windowS),
    ...cluster,
    live_client: { snapshot: f.client.snapshotTerminals, batches: f.client.batches, states: f.client.states },
    simulator_rss_mb_max: Math.max(...sims.sims.map((_, k) => watch.rssMbMax.get(`simulator-${k + 1}`) ?? 0)),
    import_rss_mb_max: watch.rssMbMax.get('import') ?? null,
    import_s: round(f.importS, 1),
    import_slowest_county_s: f.imported.slowest_county_s,
    start_s: round(f.upS, 1),
    settle_s: f.settleS,
    churn_started_after_s: f.churnAfterS,
    window_s: round(windowS),
    warmup_s: o.warmupS,
    drain_s: o.drainS,
    total_s: round((performance.now() - r.began) / 1000, 1),
    seed: o.seed,
    noise: o.noise,
    poll_pause_ms: pauseMs,
  });
}

async function runAndStop(o: Options, say: (line: string) => void): Promise<string> {
  const shape = provinceShape({ terminals: o.terminals });
  const parts = splitShape(shape, Math.min(shape.gateways.length, o.simProcesses ?? simProcessesFor(o.terminals)));
  const { dirs, certificate } = clusterDataDirs(IDS, 'dalaba-bench-province-');
  const r: Run = {
    o,
    say,
    began: performance.now(),
    shape,
    parts,
    dirs,
    certificate,
    watch: new ProcessWatch(),
    env: instanceEnv(),
    instances: [],
    sims: null,
    db: null,
    health: null,
    beats: null,
    client: null,
  };
  try {
    return await run(r);
  } finally {
    r.client?.close();
    await r.health?.stop();
    await r.beats?.stop();
    r.watch.stop();
    await Promise.all(r.instances.map((i) => i.stop()));
    await Promise.all((r.sims?.sims ?? []).map((sim) => sim.stop()));
    await r.db?.drop();
    if (!process.env.BENCH_KEEP) rmSync(dirname(dirs[0]), { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  let o: Options;
  try {
    o = parseProvinceArgs(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(64);
  }
  const say = (line: string): void => (o.json ? console.error(line) : console.log(line));
  const limit = setTimeout(() => {
    console.error(`bench province: stopped after its time limit of ${o.timeLimitS} s`);
    process.exit(2);
  }, o.timeLimitS * 1000);
  const line = await runAndStop(o, say);
  clearTimeout(limit);
  console.log(line);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
