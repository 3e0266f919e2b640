/**
 * `npm run bench -- <scenario> [--json] …` (docs/performance.md). Starts the simulator in a child process on 127.0.0.1,
 * runs the workload the controller's way and the naive way in the same run, and prints the result object as the
 * last line of stdout. The whole run is bounded by --time-limit and stops by itself.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { Sm2Signer } from '../../firmware-protocols/signing';
import { longBusShape, referenceCounty } from '../simulator/county-shape';
import { SimulatorProcess } from '../simulator/simulator-process';
import { systemClock } from '../transport/clock';
import { parallelBoundMs } from '../transport/line-timing';
import { fuzzMain } from './fuzz';
import { longClipMain } from './long-clip';
import { controllerPreempt, emergencyTargets, naivePreempt, preemptBoundMs } from './preempt';
import { parseBenchArgs, type BenchOptions } from './options';
import { benchResult, percentile, resultLine } from './report';
import {
  busTargetOf,
  controllerSweeps,
  naiveSweeps,
  STATUS_REPLY_BYTES,
  STATUS_REQUEST_BYTES,
  sweepBound,
  type DriverDeps,
  type SweepRun,
} from './sweep';

const HOST = '127.0.0.1';

const summary = (r: SweepRun) => ({
  requests: r.requests,
  ok: r.ok,
  failed: r.failed,
  skipped: r.skipped,
  errors: r.errors,
});

async function sweepScenario(o: BenchOptions, say: (line: string) => void): Promise<string> {
  const shape = o.scenario === 'sweep' ? referenceCounty() : longBusShape();
  const sim = await SimulatorProcess.start({
    shape: o.scenario === 'sweep' ? 'county' : 'long-bus',
    seed: o.seed,
    deadFraction: o.deadFraction,
    noise: o.noise,
  });
  const ready = sim.ready;
  try {
    const targets = shape.gateways.map((g, i) => busTargetOf(g, HOST, ready.ports[i]));
    const deadPerBus = targets.map((_, i) => ready.dead.filter(([g]) => g === i).length);
    const bounds = targets.map((t, i) => sweepBound(t, o.sweeps, deadPerBus[i]));
    const boundS = parallelBoundMs(bounds) / 1000;
    const terminals = targets.reduce((n, t) => n + t.units.length, 0);
    say(
      `${o.scenario}: ${targets.length} buses, ${terminals} terminals (${ready.dead.length} dead), ${o.sweeps} sweeps, bound ${boundS.toFixed(3)} s`,
    );

    // the simulator's development certificate: what the server would sign with (polls sign nothing)
    let sequence = 0;
    const deps: DriverDeps = {
      clock: systemClock,
      signer: new Sm2Signer(ready.certificate.serial, ready.certificate.privateKeyHex),
      nextSequence: () => ++sequence,
    };
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const cpu0 = process.cpuUsage();
    const controller = await controllerSweeps(targets, o.sweeps, deps);
    const cpu = process.cpuUsage(cpu0);
    loop.disable();
    const cpuS = (cpu.user + cpu.system) / 1e6;
    say(
      `controller: ${controller.seconds.toFixed(3)} s, ${controller.ok} read, ${controller.failed} failed, ${controller.skipped} skipped (backed off), ${controller.requests} requests, errors ${JSON.stringify(controller.errors)}`,
    );
    const baseline = o.baseline ? await naiveSweeps(targets, o.sweeps) : null;
    if (baseline)
      say(
        `naive baseline: ${baseline.seconds.toFixed(3)} s, ${baseline.ok}/${baseline.requests} reads ok, errors ${JSON.stringify(baseline.errors)}`,
      );
    const counters = await sim.counters();

    const slowest = controller.busSeconds.reduce((m, s, i) => (s > controller.busSeconds[m] ? i : m), 0);
    const model = targets[0].timing.transactionMs(STATUS_REQUEST_BYTES, STATUS_REPLY_BYTES);
    return resultLine(
      benchResult(o.scenario, controller.seconds, boundS, baseline?.seconds ?? null, {
        buses: targets.length,
        terminals,
        dead: ready.dead.length,
        sweeps: o.sweeps,
        noise: o.noise,
        // live units' status reads the sweeps did not bring in (a poll and its retry both lost, or a unit backed off)
        reads_missed: o.sweeps * (terminals - ready.dead.length) - controller.ok,
        model_transaction_ms: round(model),
        p50_ms: round(percentile(controller.cycleMs, 50)),
        p99_ms: round(percentile(controller.cycleMs, 99)),
        baseline_p50_ms: baseline ? round(percentile(baseline.cycleMs, 50)) : null,
        slowest_bus: {
          bus: targets[slowest].busId,
          units: targets[slowest].units.length,
          dead: deadPerBus[slowest],
          measured_s: round(controller.busSeconds[slowest]),
          bound_s: round(bounds[slowest].seconds),
          requests: controller.busRequests[slowest],
          errors: controller.busErrors[slowest],
        },
        controller: summary(controller),
        baseline: baseline ? summary(baseline) : null,
        simulator: counters,
        cpu_s: round(cpuS),
        cpu_cores: round(cpuS / controller.seconds),
        event_loop_delay_p99_ms: round(loop.percentile(99) / 1e6),
        rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
      }),
    );
  } finally {
    await sim.stop();
  }
}

async function preemptScenario(o: BenchOptions, say: (line: string) => void): Promise<string> {
  const shape = referenceCounty();
  const sim = await SimulatorProcess.start({
    shape: 'county',
    seed: o.seed,
    deadFraction: o.deadFraction,
    noise: o.noise,
  });
  const ready = sim.ready;
  try {
    const targets = shape.gateways.map((g, i) => busTargetOf(g, HOST, ready.ports[i]));
    const dead = new Set(ready.dead.map(([g, u]) => `${g}:${u}`));
    const plan = emergencyTargets(targets, dead, o.emergencies, o.seed);
    const boundMs = Math.max(...targets.map(preemptBoundMs));
    say(
      `preempt: ${targets.length} buses polling, ${plan.length} emergencies at random points of the sweeps; bound ${boundMs.toFixed(1)} ms (one status transaction + turnaround)`,
    );
    let sequence = 0;
    const deps: DriverDeps = {
      clock: systemClock,
      signer: new Sm2Signer(ready.certificate.serial, ready.certificate.privateKeyHex),
      nextSequence: () => ++sequence,
    };
    const cpu0 = process.cpuUsage();
    const started = performance.now();
    const controller = await controllerPreempt(targets, plan, deps);
    const cpu = process.cpuUsage(cpu0);
    const wallS = (performance.now() - started) / 1000;
    const p99 = percentile(controller.delaysMs, 99) ?? NaN;
    say(
      `controller: delay p50 ${percentile(controller.delaysMs, 50)?.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...controller.delaysMs).toFixed(1)} ms, ${controller.failed} failed`,
    );
    const baseline = o.baseline ? await naivePreempt(targets, plan) : null;
    const baseP99 = baseline ? (percentile(baseline.delaysMs, 99) ?? NaN) : null;
    if (baseline)
      say(
        `naive baseline: delay p50 ${percentile(baseline.delaysMs, 50)?.toFixed(1)} ms, p99 ${baseP99?.toFixed(1)} ms`,
      );
    return resultLine(
      benchResult('preempt', p99 / 1000, boundMs / 1000, baseP99 === null ? null : baseP99 / 1000, {
        buses: targets.length,
        emergencies: controller.delaysMs.length,
        failed: controller.failed,
        errors: controller.errors,
        p50_ms: round(percentile(controller.delaysMs, 50)),
        p90_ms: round(percentile(controller.delaysMs, 90)),
        p99_ms: round(p99),
        // the rest arrived while the gateway was waiting out a silent unit or a corrupted frame (its 150 ms)
        within_bound_pct: round(
          (100 * controller.delaysMs.filter((d) => d <= boundMs).length) / Math.max(1, controller.delaysMs.length),
        ),
        max_ms: round(Math.max(...controller.delaysMs)),
        bound_ms: round(boundMs),
        baseline_p50_ms: baseline ? round(percentile(baseline.delaysMs, 50)) : null,
        baseline_p99_ms: baseP99 === null ? null : round(baseP99),
        noise: o.noise,
        dead: ready.dead.length,
        cpu_cores: round((cpu.user + cpu.system) / 1e6 / wallS),
      }),
    );
  } finally {
    await sim.stop();
  }
}

function round(v: number | null): number | null {
  return v === null ? null : Number(v.toFixed(3));
}

/** Scenarios that run the server itself: their programs live beside it (src/bench) and are started as they are. */
const SERVER_SCENARIOS: Record<string, string> = {
  live: 'live.js',
  'alert-tone': 'dispatch.js',
  'alert-clip': 'dispatch.js',
  relay: 'relay.js',
  failover: 'failover.js',
  province: 'province.js',
};

function runServerScenario(program: string): never {
  const r = spawnSync(
    process.execPath,
    [join(__dirname, '..', '..', 'src', 'bench', program), ...process.argv.slice(2)],
    { stdio: 'inherit' },
  );
  process.exit(r.status ?? 1);
}

async function main(): Promise<void> {
  const serverProgram = SERVER_SCENARIOS[process.argv[2] ?? ''];
  if (serverProgram) runServerScenario(serverProgram);
  if (process.argv[2] === 'fuzz') fuzzMain(process.argv.slice(2));
  if (process.argv[2] === 'long-clip') return longClipMain(process.argv.slice(2));
  let o: BenchOptions;
  try {
    o = parseBenchArgs(process.argv.slice(2));
  } catch (e) {
    console.error(e instanceof Error ? e.message : String(e));
    process.exit(64);
  }
  const say = (line: string): void => {
    if (o.json) console.error(line);
    else console.log(line);
  };
  const limit = setTimeout(() => {
    console.error(`bench ${o.scenario}: stopped after the time limit of ${o.timeLimitS} s`);
    process.exit(2);
  }, o.timeLimitS * 1000);
  const line = o.scenario === 'preempt' ? await preemptScenario(o, say) : await sweepScenario(o, say);
  clearTimeout(limit);
  console.log(line);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
