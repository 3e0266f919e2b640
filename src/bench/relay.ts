/**
 * `npm run bench -- relay [--json] [--seed n] [--dead f] [--noise f] [--slot-s n] [--slots n]` (docs/performance.md).
 * The reference county in a simulator child process (5 % dead units, 1 % of frames corrupted by default) on a grid of
 * `--slots` relay slots (3) of `--slot-s` seconds (20), 5 s apart: the day's grid compressed. Each slot is what the
 * relay planner (src/relay/planner) has the dispatch engine do — one FM play of class daily at county priority to
 * every terminal of every bus, its start second and end time in it, sent the engine's start lead ahead through the
 * engine's own start phase (src/dispatch/bus-plan.ts: bus-wide start, verification, retries), and the backstop stop
 * phase at the end. In the second slot an alert (priority 2, a 5 s clip stored beforehand) cuts in on every third bus;
 * when it has played, the relay resumes there as the engine resumes a preempted delivery (src/dispatch/run/resumes.ts:
 * the alert's end read, then per bus one start phase of the relay without start time, bus-wide where every unit waits,
 * verified and retried). Figures come from what the simulated terminals report they sounded (their play log):
 * on_time_percent (live targets sounding within 1 s of the planned second), start_offset_p99_ms, overrun_p99_ms (how
 * long after the planned end they fell silent) and resume_gap_p99_s (from the alert's end to the relay sounding again).
 * held_played_percent (relay-held.ts): every tenth unit is an older terminal without a held schedule; the others are
 * given a table with one more slot after the grid, the controller's buses are stopped, and the figure is the share of
 * terminals holding it that sounded that slot whole by themselves; held_reported_percent, the share whose play log,
 * read through the driver once the buses are open again, reported it. The figures are worked out in relay-measure.ts,
 * the command line read in relay-options.ts.
 */
import { performance } from 'node:perf_hooks';
import { busTargetOf, type BusTarget } from '../../device-drivers/bench/sweep';
import { ModbusTerminalBus } from '../../device-drivers/modbus-terminal/modbus-terminal-bus';
import { SIGNED_BLOCK_TTL_MS, SignedBlockCache } from '../../device-drivers/modbus-terminal/signed-blocks';
import type { PlayRecord } from '../../device-drivers/simulator/modbus/virtual-bus';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { SimulatorProcess } from '../../device-drivers/simulator/simulator-process';
import { systemClock } from '../../device-drivers/transport/clock';
import { BROADCAST_CLASSES, PRIORITY } from '../../firmware-protocols/codes';
import { CODECS } from '../../firmware-protocols/terminal-modbus';
import { Sm2Signer } from '../../firmware-protocols/signing';
import { SystemClock } from '../common/clock';
import { startPhase, stopPhase, type BusLink, type PlayCommand, type StartOutcome } from '../dispatch/bus-plan';
import { sameBlockWindow } from '../dispatch/dispatch-policy';
import { withFieldErrors } from '../field/driver-failures';
import { collectHeldLogs, heldFigures, writeHeldTables, type HeldSetup, type HeldSlot } from './relay-held';
import { relayFigures, round, type Slot } from './relay-measure';
import { parseRelayArgs, type Options } from './relay-options';

const HOST = '127.0.0.1';
const SENDER = '43415230000000101010101';
/** The server's defaults (src/config/config.ts DALABA_START_LEAD_MS; src/dispatch/dispatch-policy.ts). */
const LEAD_MS = 1500;
const RETRY_WINDOW_MS = 30_000;
const BACKOFF_MS = [200, 500, 1000, 2000];
const GAP_MS = 5000;
const ALERT_AFTER_MS = 5000;
const ALERT_MS = 5000;
const ALERT_CLIP = 4001;
/** The held phase: every tenth unit is older; a terminal plays its table after this many seconds unheard. */
const OLDER_EVERY_NTH = 10;
const HOLD_OFF_S = 5;
const SIM = { shape: 'county', olderEveryNth: OLDER_EVERY_NTH } as const;
/** Time given to writing every terminal's held table before the grid starts. */
const HELD_WRITE_BUDGET_MS = 60_000;
const clock = new SystemClock();

function linkOf(bus: ModbusTerminalBus): BusLink {
  return {
    id: bus.id,
    transfer: () => Promise.reject(new Error('a relay of a live source transfers nothing')),
    commandAll: async (c, priority) => (await withFieldErrors(() => bus.command('all', c, { priority }))).sequence,
    command: async (unit, c, priority) => (await withFieldErrors(() => bus.command(unit, c, { priority }))).sequence,
    status: (unit, priority) => withFieldErrors(() => bus.readStatus(unit, { priority })),
  };
}

const play = (b: Slot | { broadcastId: string; end: number }, over: Partial<PlayCommand>): PlayCommand => ({
  code: 'play',
  source: 'fm',
  sourceParam: 9530,
  clipId: 0,
  priority: PRIORITY.county,
  broadcastClass: BROADCAST_CLASSES.daily,
  repeat: 0,
  volume: 70,
  endAt: new Date(b.end),
  broadcastId: b.broadcastId,
  ...over,
});

/** One bus's start of a broadcast as the engine does it: bus-wide with the start time, then verify and retry. */
function startBus(link: BusLink, units: number[], command: PlayCommand, dead: Set<number>): Promise<StartOutcome> {
  const startAt = command.startAt?.getTime() ?? clock.now();
  return startPhase(
    link,
    {
      command,
      ours: {
        broadcastId: command.broadcastId as string,
        clipId: command.source === 'stored' ? (command.clipId ?? 0) : null,
        priority: command.priority,
        broadcastClass: command.broadcastClass,
        startAt,
      },
      priority: command.priority <= 4 ? 'emergency' : 'command',
      toStart: units,
      wholeBus: true,
      readFirst: [],
      deadline: Math.min(command.endAt?.getTime() ?? Infinity, startAt + RETRY_WINDOW_MS),
      windowEnd: command.endAt?.getTime(),
      backoffMs: BACKOFF_MS,
      sameBlockWindowMs: sameBlockWindow(SIGNED_BLOCK_TTL_MS),
      suspect: (u) => dead.has(u),
    },
    clock,
  );
}

/** The alert on some buses, then the relay's resumption there as the engine resumes a preempted delivery. */
async function alertAndResume(
  links: BusLink[],
  targets: BusTarget[],
  onAlert: number[],
  slot: Slot,
  deadOf: (i: number) => Set<number>,
): Promise<{ alert: Slot; resumed: number }> {
  const at = slot.start + ALERT_AFTER_MS;
  await clock.sleep(at - LEAD_MS - clock.now());
  const alert = { broadcastId: `${SENDER}202612019001`, start: at, end: at + ALERT_MS };
  const command: PlayCommand = {
    ...play(alert, {}),
    source: 'stored',
    sourceParam: undefined,
    clipId: ALERT_CLIP,
    priority: 2,
    broadcastClass: BROADCAST_CLASSES.emergency,
    repeat: 1,
    startAt: new Date(at),
    endAt: new Date(at + 60_000),
  };
  const outcomes = await Promise.all(onAlert.map((i) => startBus(links[i], targets[i].units, command, deadOf(i))));
  await clock.sleep(alert.end - clock.now());
  let resumed = 0;
  const resume: PlayCommand = play(slot, {});
  const ours = {
    broadcastId: slot.broadcastId,
    clipId: null,
    priority: PRIORITY.county,
    broadcastClass: 5,
    startAt: 0,
  };
  // the end read of the alert's play on every terminal it played on (two tries each); then, all together as the engine
  // asks for them, the relay started again without a start time, verified and retried as any start: one start phase
  // per bus (src/dispatch/run/resumes.ts), bus-wide when every unit of the bus waits to resume or never answered
  const cuts = outcomes.map((o) => o.playing.map((p) => p.key));
  await Promise.all(
    onAlert.flatMap((i, k) =>
      cuts[k].map(async (key) => {
        const read = (): Promise<boolean> =>
          links[i].status(key, 'command').then(
            () => true,
            () => false,
          );
        if (!(await read())) await read();
      }),
    ),
  );
  await Promise.all(
    onAlert.map(async (i, k) => {
      const cut = cuts[k];
      const dead = deadOf(i);
      const now = clock.now();
      const out = await startPhase(
        links[i],
        {
          command: resume,
          ours,
          priority: 'command',
          toStart: cut,
          wholeBus: targets[i].units.every((u) => cut.includes(u) || dead.has(u)),
          readFirst: [],
          deadline: Math.min(slot.end, now + RETRY_WINDOW_MS),
          windowEnd: slot.end,
          backoffMs: BACKOFF_MS,
          sameBlockWindowMs: sameBlockWindow(SIGNED_BLOCK_TTL_MS),
          suspect: (u) => dead.has(u),
        },
        clock,
      );
      resumed += out.playing.length;
      if (process.env.BENCH_DEBUG && out.playing.length < cut.length)
        console.error(`bus ${i}: resume: ${JSON.stringify([...out.failed, ...out.unreachable])}`);
    }),
  );
  return { alert, resumed };
}

/** A slot of the grid: every bus started together on the slot's second, stopped (backstop) at its end. */
async function runSlot(
  links: BusLink[],
  targets: BusTarget[],
  slot: Slot,
  deadOf: (i: number) => Set<number>,
  during: () => Promise<unknown>,
): Promise<StartOutcome[]> {
  await clock.sleep(slot.start - LEAD_MS - clock.now());
  const command = play(slot, { startAt: new Date(slot.start) });
  const [outcomes] = await Promise.all([
    Promise.all(links.map((l, i) => startBus(l, targets[i].units, command, deadOf(i)))),
    during(),
  ]);
  await clock.sleep(slot.end - clock.now());
  const ours = {
    broadcastId: slot.broadcastId,
    clipId: null,
    priority: PRIORITY.county,
    broadcastClass: 5,
    startAt: 0,
  };
  const stop = { code: 'stop' as const, broadcastId: slot.broadcastId, priority: PRIORITY.county };
  await Promise.all(
    links.map((l, i) =>
      stopPhase(
        l,
        outcomes[i].playing.map((p) => p.key),
        stop,
        ours,
      ),
    ),
  );
  return outcomes;
}

/** One driver bus per gateway, as the server's field module opens them: one signer, one signed-block cache. */
async function openBuses(sim: SimulatorProcess, targets: BusTarget[], firstSequence = 0): Promise<ModbusTerminalBus[]> {
  let sequence = firstSequence;
  const signer = new Sm2Signer(sim.ready.certificate.serial, sim.ready.certificate.privateKeyHex);
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
  return buses;
}

/**
 * Before the grid: its first slot's second, laid out after the time the held tables may take, and those tables (one
 * slot after the grid, a hold-off later than its end).
 */
async function prepareHeld(
  buses: ModbusTerminalBus[],
  targets: BusTarget[],
  o: Options,
  say: (line: string) => void,
): Promise<{ t0: number; heldSlot: HeldSlot; setup: HeldSetup }> {
  const written0 = clock.now();
  const t0 = Math.ceil((written0 + HELD_WRITE_BUDGET_MS + 5000) / 1000) * 1000;
  const start = t0 + o.slots * (o.slotS * 1000 + GAP_MS) + (HOLD_OFF_S + 2) * 1000;
  const heldSlot: HeldSlot = { start, end: start + o.slotS * 1000 };
  const setup = await writeHeldTables(buses, targets, heldSlot, HOLD_OFF_S, clock.now());
  say(
    `held tables: ${setup.holding.size} terminals hold one, ${setup.older} older, ${setup.failed} failed, ` +
      `in ${((clock.now() - written0) / 1000).toFixed(1)} s${setup.firstError ? ` (first failure: ${setup.firstError})` : ''}`,
  );
  if (clock.now() > t0 - LEAD_MS) throw new Error('held tables took longer than their budget');
  return { t0, heldSlot, setup };
}

/** After the grid the controller stops; the held slot passes; then it is back and collects the play logs. */
async function controllerDown(
  sim: SimulatorProcess,
  targets: BusTarget[],
  buses: ModbusTerminalBus[],
  heldSlot: HeldSlot,
  setup: HeldSetup,
  say: (line: string) => void,
): Promise<{ logs: [number, number, PlayRecord[]][]; reported: number }> {
  buses.forEach((b) => void b.stop());
  say('buses stopped: the held slot plays from the terminals');
  await clock.sleep(heldSlot.end + 1000 - clock.now());
  const logs = await sim.playLogs();
  // a new controller run: its command sequence continues past the first one's
  const back = await openBuses(sim, targets, 1_000_000);
  const reported = await collectHeldLogs(back, setup);
  back.forEach((b) => void b.stop());
  return { logs, reported };
}

async function main(): Promise<void> {
  const o = parseRelayArgs(process.argv.slice(2));
  const say = (line: string): void => (o.json ? console.error(line) : console.log(line));
  const shape = referenceCounty();
  const sim = await SimulatorProcess.start({ ...SIM, seed: o.seed, deadFraction: o.dead, noise: o.noise });
  const limit = setTimeout(() => {
    console.error('bench relay: stopped after its time limit');
    process.exit(2);
  }, 900_000);
  try {
    const targets = shape.gateways
      .slice(0, Number(process.env.BENCH_BUSES ?? shape.gateways.length))
      .map((g, i) => busTargetOf(g, HOST, sim.ready.ports[i]));
    const buses = await openBuses(sim, targets);
    const links = buses.map(linkOf);
    const deadOf = (i: number): Set<number> => new Set(sim.ready.dead.filter(([g]) => g === i).map(([, u]) => u));
    const onAlert = targets.map((_, i) => i).filter((i) => i % 3 === 0);
    // the alert's clip stored beforehand on the terminals it reaches, as the built-in tones are
    const opus = CODECS.find((c) => c.name === 'opus-16k')?.code ?? 1;
    const clip = { clipId: ALERT_CLIP, size: 2000 * 5, codec: opus, digest: 'ab'.repeat(32), durationMs: ALERT_MS };
    await sim.installClips(onAlert.flatMap((g) => targets[g].units.map((unit) => ({ gateway: g, unit, clip }))));
    const terminals = targets.reduce((n, t) => n + t.units.length, 0);
    say(
      `relay: ${targets.length} buses, ${terminals} terminals (${sim.ready.dead.length} dead), ${o.slots} slots of ${o.slotS} s`,
    );
    const { t0, heldSlot, setup } = await prepareHeld(buses, targets, o, say);
    const slots: Slot[] = Array.from({ length: o.slots }, (_, k) => {
      const start = t0 + k * (o.slotS * 1000 + GAP_MS);
      return { broadcastId: `${SENDER}20261201${String(8001 + k)}`, start, end: start + o.slotS * 1000 };
    });
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    let alert: Slot | null = null;
    let resumed = 0;
    for (const [k, slot] of slots.entries()) {
      const cut = k === Math.min(1, slots.length - 1);
      await runSlot(links, targets, slot, deadOf, async () => {
        if (!cut) return;
        ({ alert, resumed } = await alertAndResume(links, targets, onAlert, slot, deadOf));
      });
      say(`slot ${k + 1} done`);
    }
    const cpu = process.cpuUsage(cpu0);
    const wallS = (performance.now() - wall0) / 1000;
    const { logs, reported } = await controllerDown(sim, targets, buses, heldSlot, setup, say);
    const dead = new Set(sim.ready.dead.map(([g, u]) => `${g}:${u}`));
    clearTimeout(limit);
    console.log(
      JSON.stringify({
        scenario: 'relay',
        buses: targets.length,
        terminals,
        dead: sim.ready.dead.length,
        noise: o.noise,
        slots: o.slots,
        slot_s: o.slotS,
        alert_buses: onAlert.length,
        resumed_verified: resumed,
        ...relayFigures(
          logs.filter(([g]) => g < targets.length),
          slots,
          alert,
          dead,
        ),
        ...heldFigures(logs, setup, heldSlot, reported),
        cpu_cores: round((cpu.user + cpu.system) / 1e6 / wallS),
      }),
    );
  } finally {
    await sim.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : String(e));
  process.exit(1);
});
