/**
 * The `preempt` workload (docs/performance.md): emergency commands arriving while every bus is busy polling. Each bus runs
 * the server's driver and its Sweeper continuously (two polls queued behind the one on the wire); at random moments an
 * emergency `play` goes to a live unit of one bus. Its delay is the time from submission until it could have started
 * on the wire: its completion minus its own transaction (both from the same line-timing model the simulator enforces).
 * The goal: at most one in-flight transaction plus turnaround. The naive way — modbus-serial's README loop, awaiting
 * each terminal in turn — takes the emergency at its next turn, between two polls, measured the same way.
 */
import { performance } from 'node:perf_hooks';
import ModbusRTU from 'modbus-serial';
import { REGISTERS } from '../../firmware-protocols/terminal-modbus';
import { Sweeper } from '../bus/sweeper';
import { ModbusTerminalBus } from '../modbus-terminal/modbus-terminal-bus';
import type { TerminalCommand } from '../terminal-bus';
import { STATUS_REPLY_BYTES, STATUS_REQUEST_BYTES, type BusTarget, type DriverDeps } from './sweep';

/** The signed command block written by one FC16 (terminal-modbus PROTOCOL.md §4): request and reply bytes. */
export const COMMAND_REQUEST_BYTES = 9 + 2 * REGISTERS.command.count;
export const COMMAND_REPLY_BYTES = 8;

export interface PreemptRun {
  /** Per emergency: ms from submission until it could start on the wire. */
  delaysMs: number[];
  failed: number;
  /** Why emergencies failed, by message (first few kinds). */
  errors: Record<string, number>;
}

/** The bound of one emergency: the poll already on the wire, then the turnaround before the line is free. */
export function preemptBoundMs(t: BusTarget): number {
  return t.timing.transactionMs(STATUS_REQUEST_BYTES, STATUS_REPLY_BYTES) + t.timing.turnaroundMs;
}

const emergencyPlay: TerminalCommand = {
  code: 'play',
  source: 'tone',
  clipId: 0,
  sourceParam: 0,
  priority: 1,
  broadcastClass: 4,
  repeat: 1,
  volume: 90,
  broadcastId: null,
};

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Emergencies arrive one after another across the county, 20–70 ms apart, each on its bus at whatever point of the
 * sweep that bus has reached; a bus takes its next emergency only after the previous one (they do not queue up).
 */
async function arriving(
  plan: { bus: number; unit: number }[],
  fire: (p: { bus: number; unit: number }) => Promise<void>,
): Promise<void> {
  const busy = new Map<number, Promise<void>>();
  for (const p of plan) {
    await pause(20 + Math.random() * 50);
    const before = busy.get(p.bus) ?? Promise.resolve();
    busy.set(
      p.bus,
      before.then(() => fire(p)),
    );
  }
  await Promise.all(busy.values());
}

/** Picks `rounds` (bus, unit) pairs over the live units, spread over the buses, reproducibly. */
export function emergencyTargets(
  targets: readonly BusTarget[],
  dead: ReadonlySet<string>,
  rounds: number,
  seed: number,
): { bus: number; unit: number }[] {
  let x = seed >>> 0 || 1;
  const next = (): number => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
  const out: { bus: number; unit: number }[] = [];
  for (let r = 0; r < rounds; r++) {
    const bus = r % targets.length;
    const live = targets[bus].units.filter((u) => !dead.has(`${bus}:${u}`));
    if (live.length > 0) out.push({ bus, unit: live[Math.floor(next() * live.length)] });
  }
  return out;
}

/** The controller's way: the server's driver and sweeper on every bus, emergencies through the scheduler. */
export async function controllerPreempt(
  targets: readonly BusTarget[],
  plan: { bus: number; unit: number }[],
  deps: DriverDeps,
): Promise<PreemptRun> {
  const buses = targets.map(
    (t) =>
      new ModbusTerminalBus({
        busId: t.busId,
        gateway: t.gateway,
        clock: deps.clock,
        signer: deps.signer,
        nextSequence: deps.nextSequence,
      }),
  );
  const sweepers = buses.map((bus, i) => new Sweeper({ bus, clock: deps.clock, units: targets[i].units }));
  const run: PreemptRun = { delaysMs: [], failed: 0, errors: {} };
  try {
    await Promise.all(buses.map((b) => b.start()));
    sweepers.forEach((s) => s.start());
    await pause(1000); // every bus well into its sweeps
    await arriving(plan, async ({ bus: b, unit }) => {
      const own = targets[b].timing.transactionMs(COMMAND_REQUEST_BYTES, COMMAND_REPLY_BYTES);
      const t0 = performance.now();
      try {
        await buses[b].command(unit, emergencyPlay, { priority: 'emergency' });
        run.delaysMs.push(performance.now() - t0 - own);
      } catch (e) {
        run.failed += 1;
        const why = e instanceof Error ? e.message.replace(/^bus \S+ unit \d+ /, '') : String(e);
        run.errors[why] = (run.errors[why] ?? 0) + 1;
      }
    });
  } finally {
    await Promise.all(sweepers.map((s) => s.stop()));
    await Promise.all(buses.map((b) => b.stop()));
  }
  return run;
}

/** The README way: one client per gateway, a loop awaiting each terminal's status in turn; an emergency is written at the loop's next turn. */
export async function naivePreempt(
  targets: readonly BusTarget[],
  plan: { bus: number; unit: number }[],
): Promise<PreemptRun> {
  const run: PreemptRun = { delaysMs: [], failed: 0, errors: {} };
  const clients = await Promise.all(
    targets.map(async (t) => {
      const c = new ModbusRTU();
      await c.connectTCP(t.gateway.host, { port: t.gateway.port });
      c.setTimeout(t.gateway.requestTimeoutMs + 500);
      return c;
    }),
  );
  const pending: ({ unit: number; resolve: () => void } | null)[] = targets.map(() => null);
  let stopping = false;
  const loops = targets.map(async (t, b) => {
    const c = clients[b];
    while (!stopping) {
      for (const unit of t.units) {
        const e = pending[b];
        if (e) {
          pending[b] = null;
          c.setID(e.unit);
          try {
            await c.writeRegisters(REGISTERS.command.address, new Array<number>(REGISTERS.command.count).fill(0));
          } catch {
            // a zero block is refused by the terminal (exception): it still took its turn on the wire
          }
          e.resolve();
        }
        if (stopping) break;
        c.setID(unit);
        try {
          await c.readHoldingRegisters(REGISTERS.status.address, REGISTERS.status.count);
        } catch {
          // dead unit or lost frame: the loop waits it out, as the README's loop does
        }
      }
    }
  });
  try {
    await pause(1000);
    await arriving(plan, async ({ bus: b, unit }) => {
      const own = targets[b].timing.transactionMs(COMMAND_REQUEST_BYTES, 5); // refused: an exception reply
      const t0 = performance.now();
      await new Promise<void>((resolve) => (pending[b] = { unit, resolve }));
      run.delaysMs.push(performance.now() - t0 - own);
    });
  } finally {
    stopping = true;
    await Promise.all(loops);
    await Promise.all(clients.map((c) => new Promise<void>((r) => c.close(() => r()))));
  }
  return run;
}
