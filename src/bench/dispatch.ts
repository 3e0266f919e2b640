/**
 * `npm run bench -- alert-tone | alert-clip [--json] [--seed n] [--dead f] [--noise f] [--no-baseline]
 * [--transport modbus-tcp|rtu-over-tcp]`
 * (docs/performance.md). The reference county in a simulator child process; the dispatch engine's per-bus plan
 * (src/dispatch/bus-plan.ts, the code the server runs) drives one ModbusTerminalBus per gateway directly, without a
 * database: terminals are keyed by unit id.
 * - alert-tone: an emergency start of a tone stored beforehand on every terminal (stored before the clock starts, as
 *   the built-in tones are), one bus-wide start per bus with a start time ahead, verified by a status read per terminal.
 * - alert-clip: a 20 KB clip transferred to all (broadcast chunks, selective repair), then started in sync and verified.
 * measured_s is the time until the last live terminal is verified playing (dead ones are tried, and do not hold the
 * figure). The bound counts what the wire forces; the baseline is the same start done by unicast, one terminal after
 * the other (await each), as modbus-serial's README would write it — for alert-clip, the clip too: prepare, every chunk,
 * commit, play and a read, unicast, one terminal after the other (buses in parallel).
 * (`preempt`, emergency commands while the buses poll, is the field layer's: device-drivers/bench/preempt.ts.)
 * For looking into a run: BENCH_BUSES=n (the first n buses), BENCH_CLIP_BYTES=n, BENCH_DEBUG=1 (slowest verifications).
 */
import { performance } from 'node:perf_hooks';
import { busTargetOf, type BusTarget } from '../../device-drivers/bench/sweep';
import { benchResult, percentile, resultLine } from '../../device-drivers/bench/report';
import { ModbusTerminalBus } from '../../device-drivers/modbus-terminal/modbus-terminal-bus';
import { SignedBlockCache } from '../../device-drivers/modbus-terminal/signed-blocks';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { SimulatorProcess } from '../../device-drivers/simulator/simulator-process';
import { systemClock } from '../../device-drivers/transport/clock';
import { Sm2Signer } from '../../firmware-protocols/signing';
import type { StartOutcome } from '../dispatch/bus-plan';
import { alertBound, COMMAND_BYTES, STATUS_REPLY, STATUS_REQUEST } from './dispatch-bounds';
import { debugReport, startTrace } from './dispatch-trace';
import { sequentialBaseline, sequentialClipBaseline } from './dispatch-baseline';
import { BROADCAST_ID, clipOf, firstRounds, linkOf, startAll, storeTone, type AlertTally } from './dispatch-rounds';
import { idealToneFields } from './ideal-tone';

type Scenario = 'alert-tone' | 'alert-clip';
interface Options {
  scenario: Scenario;
  json: boolean;
  seed: number;
  dead: number;
  noise: number;
  baseline: boolean;
  /** How the buses are reached: Modbus TCP gateways (the reference county) or serial-device servers (RTU over TCP). */
  transport: 'modbus-tcp' | 'rtu-over-tcp';
}

const HOST = '127.0.0.1';
/** docs/performance.md, Goals: alert-tone's ratio. */
const TONE_GOAL = 1.2;

function parse(argv: string[]): Options {
  const scenario = argv[0] as Scenario;
  if (!['alert-tone', 'alert-clip'].includes(scenario))
    throw new RangeError(`scenario: expected alert-tone or alert-clip, got ${argv[0] ?? 'nothing'}`);
  const o: Options = {
    scenario,
    json: false,
    seed: 1,
    dead: 0.05,
    noise: 0.01,
    baseline: true,
    transport: 'modbus-tcp',
  };
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
    else if (a === '--no-baseline') o.baseline = false;
    else if (a === '--baseline') o.baseline = true;
    else if (a === '--transport') {
      const t = argv[++i];
      if (t !== 'modbus-tcp' && t !== 'rtu-over-tcp')
        throw new RangeError(`--transport: expected modbus-tcp or rtu-over-tcp, got ${t ?? 'nothing'}`);
      o.transport = t;
    } else throw new RangeError(`unknown option ${a}`);
  }
  return o;
}

const round = (v: number | null): number | null => (v === null ? null : Number(v.toFixed(3)));

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  const say = (line: string): void => (o.json ? console.error(line) : console.log(line));
  const shape = referenceCounty();
  const sim = await SimulatorProcess.start({
    shape: 'county',
    seed: o.seed,
    deadFraction: o.dead,
    noise: o.noise,
    transport: o.transport,
  });
  const limit = setTimeout(() => {
    console.error(`bench ${o.scenario}: stopped after its time limit`);
    process.exit(2);
  }, 600_000);
  try {
    // each gateway as the registry describes it (its own wait for a unit's answer included), as the server drives it
    const targets = shape.gateways
      .slice(0, Number(process.env.BENCH_BUSES ?? shape.gateways.length))
      .map((g, i) => busTargetOf(g, HOST, sim.ready.ports[i], o.transport));
    let sequence = 0;
    const signer = new Sm2Signer(sim.ready.certificate.serial, sim.ready.certificate.privateKeyHex);
    // as the server does (src/field/field.module.ts): a broadcast's steps are signed once for every bus
    const signedBlocks = new SignedBlockCache({ now: () => systemClock.now() });
    const buses = targets.map(
      (t) =>
        new ModbusTerminalBus({
          busId: t.busId,
          gateway: t.gateway,
          clock: systemClock,
          signer,
          nextSequence: () => ++sequence,
          signedBlocks,
        }),
    );
    await Promise.all(buses.map((b) => b.start()));
    const deadOf = (i: number): Set<number> => new Set(sim.ready.dead.filter(([g]) => g === i).map(([, u]) => u));
    const terminals = targets.reduce((n, t) => n + t.units.length, 0);
    say(
      `${o.scenario}: ${targets.length} buses (${o.transport}), ${terminals} terminals (${sim.ready.dead.length} dead)`,
    );
    const line = await alert(o, targets, buses, deadOf, say, sim);
    buses.forEach((b) => void b.stop());
    const counters = await sim.counters();
    clearTimeout(limit);
    console.log(resultLine({ ...line, simulator: counters }));
  } finally {
    await sim.stop();
  }
}

/** The result line's own fields for an alert run. */
function alertFields(
  o: Options,
  targets: BusTarget[],
  m: {
    tone: boolean;
    bytes: number;
    live: number;
    verified: number;
    transferred: number;
    outcomes: StartOutcome[];
    verifiedAt: number[];
    repeatedStarts: number;
    cpu: NodeJS.CpuUsage;
  },
): Record<string, unknown> {
  const { live, verified, outcomes, verifiedAt, cpu } = m;
  return {
    buses: targets.length,
    terminals: targets.reduce((n, t) => n + t.units.length, 0),
    live,
    verified,
    verified_percent: round((100 * verified) / live),
    transferred: m.tone ? null : m.transferred,
    clip_bytes: m.bytes,
    noise: o.noise,
    transport: o.transport,
    plays_sent: outcomes.reduce((a, x) => ({ bus: a.bus + x.sent.bus, unicast: a.unicast + x.sent.unicast }), {
      bus: 0,
      unicast: 0,
    }),
    status_reads: outcomes.reduce((n, x) => n + x.reads, 0),
    repeated_starts: m.repeatedStarts,
    verified_p50_s: round((percentile(verifiedAt, 50) ?? 0) / 1000),
    verified_p99_s: round((percentile(verifiedAt, 99) ?? 0) / 1000),
    cpu_s: round((cpu.user + cpu.system) / 1e6),
    rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
    note: 'measured_s: until the last live terminal is verified playing; dead terminals are tried until the retry deadline and do not count',
  };
}

async function alert(
  o: Options,
  targets: BusTarget[],
  buses: ModbusTerminalBus[],
  deadOf: (i: number) => Set<number>,
  say: (l: string) => void,
  sim: Pick<SimulatorProcess, 'counters' | 'busCounters'>,
): Promise<ReturnType<typeof benchResult>> {
  const tone = o.scenario === 'alert-tone';
  const bytes = tone ? 3_200 : Number(process.env.BENCH_CLIP_BYTES ?? 20_000);
  const clip = clipOf(bytes, tone ? 901 : 902);
  const links = buses.map(linkOf);
  if (tone) await storeTone(links, targets, clip, say);
  const boundS = alertBound(targets, deadOf, tone ? null : bytes);
  const lossesBefore = tone ? await sim.busCounters() : [];
  const cpu0 = process.cpuUsage();
  const tally: AlertTally = {
    t0: performance.now(),
    lastLive: 0,
    transferred: 0,
    verifiedAt: [],
    transferS: [],
    transferFailed: [],
  };
  startTrace(tally.t0);
  const firsts = await firstRounds(links, targets, clip, bytes, tone, deadOf, tally);
  const outcomes = await startAll(links, firsts, clip.clipId, deadOf, tally);
  let verified = 0;
  for (const out of outcomes) verified += out.playing.length;
  const cpu = process.cpuUsage(cpu0);
  const controllerCounters = await sim.counters();
  const ideal = tone
    ? idealToneFields({
        targets,
        deadOf,
        transport: o.transport,
        noise: o.noise,
        seed: o.seed,
        frames: { commandBytes: COMMAND_BYTES, requestBytes: STATUS_REQUEST, replyBytes: STATUS_REPLY },
        goal: TONE_GOAL,
        before: lossesBefore,
        after: await sim.busCounters(),
      })
    : {};
  const { t0, verifiedAt } = tally;
  if (process.env.BENCH_DEBUG)
    debugReport(say, tone ? [] : tally.transferS, tally.transferFailed, verifiedAt, outcomes);
  const measured = (tally.lastLive - t0) / 1000;
  const live = targets.reduce((n, t, i) => n + t.units.length - deadOf(i).size, 0);
  say(
    `controller: ${measured.toFixed(3)} s, ${verified}/${live} live terminals verified playing (bound ${boundS.toFixed(3)} s)`,
  );
  say(`simulator after the controller: ${JSON.stringify(controllerCounters)}`);
  const baseline = !o.baseline
    ? null
    : tone
      ? await sequentialBaseline(targets, buses, clip.clipId, BROADCAST_ID)
      : await sequentialClipBaseline(targets, buses, clipOf(bytes, 903), BROADCAST_ID);
  if (baseline !== null) say(`naive baseline (unicast, await each terminal): ${baseline.toFixed(3)} s`);
  return benchResult(o.scenario, measured, boundS, baseline, {
    ...alertFields(o, targets, {
      tone,
      bytes,
      live,
      verified,
      transferred: tally.transferred,
      outcomes,
      verifiedAt,
      repeatedStarts: controllerCounters.repeatedStarts ?? 0,
      cpu,
    }),
    ...ideal,
  });
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
