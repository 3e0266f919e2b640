/**
 * `npm run bench -- <scenario> [--json] …` (PERFORMANCE.md). Starts the simulator in a child process on 127.0.0.1,
 * runs the workload the controller's way and the naive way in the same run, and prints the result object as the
 * last line of stdout. The whole run is bounded by --time-limit and stops by itself.
 */
import { longBusShape, referenceCounty, type ShapeGateway } from '../simulator/county-shape';
import { lineTimingOf } from '../simulator/network';
import { parallelBoundMs } from '../transport/line-timing';
import { parseBenchArgs, type BenchOptions } from './options';
import { benchResult, percentile, resultLine } from './report';
import { SimulatorProcess } from '../simulator/simulator-process';
import { controllerSweeps, naiveSweeps, STATUS_REPLY_BYTES, STATUS_REQUEST_BYTES, sweepBound, type BusTarget, type SweepRun } from './sweep';

const HOST = '127.0.0.1';

function targetsOf(gateways: ShapeGateway[], ports: number[]): BusTarget[] {
  return gateways.map((g, i) => ({
    busId: g.name,
    host: HOST,
    port: ports[i],
    units: g.terminals.map((t) => t.unitId),
    timing: lineTimingOf(g),
    gatewayTimeoutMs: g.requestTimeoutMs,
  }));
}

const summary = (r: SweepRun) => ({ polls: r.polls, ok: r.ok, errors: r.errors });

async function sweepScenario(o: BenchOptions, say: (line: string) => void): Promise<string> {
  const shape = o.scenario === 'sweep' ? referenceCounty() : longBusShape();
  const sim = await SimulatorProcess.start({ shape: o.scenario === 'sweep' ? 'county' : 'long-bus', seed: o.seed, deadFraction: o.deadFraction, noise: o.noise });
  const ready = sim.ready;
  try {
    const targets = targetsOf(shape.gateways, ready.ports);
    const deadPerBus = targets.map((_, i) => ready.dead.filter(([g]) => g === i).length);
    const bounds = targets.map((t, i) => sweepBound(t, o.sweeps, deadPerBus[i]));
    const boundS = parallelBoundMs(bounds) / 1000;
    const terminals = targets.reduce((n, t) => n + t.units.length, 0);
    say(`${o.scenario}: ${targets.length} buses, ${terminals} terminals (${ready.dead.length} dead), ${o.sweeps} sweeps, bound ${boundS.toFixed(3)} s`);

    const cpu0 = process.cpuUsage();
    const controller = await controllerSweeps(targets, o.sweeps);
    const cpu = process.cpuUsage(cpu0);
    say(`controller: ${controller.seconds.toFixed(3)} s, ${controller.ok}/${controller.polls} polls ok, errors ${JSON.stringify(controller.errors)}`);
    const baseline = o.baseline ? await naiveSweeps(targets, o.sweeps) : null;
    if (baseline) say(`naive baseline: ${baseline.seconds.toFixed(3)} s, ${baseline.ok}/${baseline.polls} polls ok, errors ${JSON.stringify(baseline.errors)}`);
    const counters = await sim.counters();

    const model = targets[0].timing.transactionMs(STATUS_REQUEST_BYTES, STATUS_REPLY_BYTES);
    return resultLine(
      benchResult(o.scenario, controller.seconds, boundS, baseline?.seconds ?? null, {
        buses: targets.length,
        terminals,
        dead: ready.dead.length,
        sweeps: o.sweeps,
        noise: o.noise,
        model_transaction_ms: Number(model.toFixed(3)),
        p50_ms: round(percentile(controller.transactionMs, 50)),
        p99_ms: round(percentile(controller.transactionMs, 99)),
        baseline_p50_ms: baseline ? round(percentile(baseline.transactionMs, 50)) : null,
        controller: summary(controller),
        baseline: baseline ? summary(baseline) : null,
        simulator: counters,
        cpu_s: Number(((cpu.user + cpu.system) / 1e6).toFixed(3)),
        rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
      }),
    );
  } finally {
    await sim.stop();
  }
}

function round(v: number | null): number | null {
  return v === null ? null : Number(v.toFixed(3));
}

async function main(): Promise<void> {
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
  const line = await sweepScenario(o, say);
  clearTimeout(limit);
  console.log(line);
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : String(e));
  process.exit(1);
});
