/**
 * The `sweep` workload (PERFORMANCE.md): consecutive full status sweeps of every terminal on every bus, buses in
 * parallel. Done twice in the same run: by the controller's way (a BusScheduler per bus: one transaction in flight,
 * dead units backed off, a failed poll retried once) and by the naive way of modbus-serial's README (one client per
 * gateway, `await` each terminal in turn, no backoff). Its line-rate bound comes from the same model the simulator
 * enforces.
 */
import { performance } from 'node:perf_hooks';
import ModbusRTU from 'modbus-serial';
import { REGISTERS } from '../../firmware-protocols/terminal-modbus';
import { BusScheduler } from '../bus/scheduler';
import type { BackoffPolicy } from '../bus/backoff';
import { BusError, type BusErrorKind } from '../terminal-bus';
import { systemClock, type Clock } from '../transport/clock';
import { Bound, type LineTiming } from '../transport/line-timing';
import { failureKind, failureMessage, ModbusTcpLink } from './modbus-link';

/** One status read (terminal-modbus PROTOCOL.md §3, one FC03): request of 8 bytes, reply of 5 + 2 × count bytes. */
export const STATUS_READ = REGISTERS.status;
export const STATUS_REQUEST_BYTES = 8;
export const STATUS_REPLY_BYTES = 5 + 2 * STATUS_READ.count;

/**
 * Dead units: two failures in a row (a poll and its retry), then retried after 30 s, 60 s, then every 2 minutes;
 * a live unit hit by noise fails once, is retried at once and resets.
 */
export const SWEEP_UNIT_BACKOFF: BackoffPolicy = { baseMs: 30_000, maxMs: 120_000, threshold: 2 };

export interface BusTarget {
  busId: string;
  host: string;
  port: number;
  units: number[];
  timing: LineTiming;
  /** The gateway's own wait for a unit before it answers exception 0x0B. */
  gatewayTimeoutMs: number;
}

export interface SweepRun {
  seconds: number;
  polls: number;
  ok: number;
  errors: Partial<Record<BusErrorKind, number>>;
  /** Wire time of each completed status transaction, ms (from the request's start to its reply). */
  transactionMs: number[];
}

/** What the wire forces: every live unit's status transaction in every sweep, and one request to each dead unit. */
export function sweepBound(target: BusTarget, sweeps: number, deadUnits: number): Bound {
  const live = target.units.length - deadUnits;
  return new Bound(target.timing).transaction(STATUS_REQUEST_BYTES, STATUS_REPLY_BYTES, sweeps * live).unanswered(STATUS_REQUEST_BYTES, deadUnits);
}

/** A client's own timeout: the gateway's wait plus the longest a transaction can take on the wire, with margin. */
function clientTimeoutMs(t: BusTarget): number {
  return t.gatewayTimeoutMs + Math.ceil(t.timing.transactionMs(STATUS_REQUEST_BYTES, STATUS_REPLY_BYTES)) * 2 + 200;
}

function tally(run: SweepRun, kind: BusErrorKind): void {
  run.errors[kind] = (run.errors[kind] ?? 0) + 1;
}

const emptyRun = (): SweepRun => ({ seconds: 0, polls: 0, ok: 0, errors: {}, transactionMs: [] });

export async function controllerSweeps(targets: readonly BusTarget[], sweeps: number, clock: Clock = systemClock): Promise<SweepRun> {
  const run = emptyRun();
  const buses = targets.map(
    (t) =>
      new BusScheduler<ModbusTcpLink>({
        busId: t.busId,
        clock,
        connect: () => ModbusTcpLink.open(t.host, t.port, clientTimeoutMs(t)),
        timeoutMs: clientTimeoutMs(t) + 100,
        unitBackoff: SWEEP_UNIT_BACKOFF,
      }),
  );
  await Promise.all(buses.map((b) => b.start()));
  const notConnected = buses.filter((b) => b.metrics().connection !== 'connected').map((b) => b.busId);
  if (notConnected.length > 0) throw new Error(`controller: could not connect to ${notConnected.join(', ')}`);

  const poll = (bus: BusScheduler<ModbusTcpLink>, unit: number): Promise<number[]> =>
    bus.run({ unit, operation: 'FC03 status', priority: 'poll' }, async (link) => {
      link.client.setID(unit);
      const started = performance.now();
      try {
        const r = await link.client.readHoldingRegisters(STATUS_READ.address, STATUS_READ.count);
        run.transactionMs.push(performance.now() - started);
        return r.data;
      } catch (e) {
        throw new BusError(failureKind(e), bus.busId, unit, 'FC03 status', failureMessage(e));
      }
    });

  const pollOnceOrTwice = async (bus: BusScheduler<ModbusTcpLink>, unit: number): Promise<void> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      run.polls++;
      try {
        await poll(bus, unit);
        run.ok++;
        return;
      } catch (e) {
        const kind = e instanceof BusError ? e.kind : 'protocol';
        tally(run, kind);
        if (kind === 'backoff' || kind === 'deadline') return;
      }
    }
  };

  const started = performance.now();
  try {
    await Promise.all(
      targets.map(async (t, i) => {
        for (let s = 0; s < sweeps; s++) await Promise.all(t.units.map((u) => pollOnceOrTwice(buses[i], u)));
      }),
    );
  } finally {
    run.seconds = (performance.now() - started) / 1000;
    buses.forEach((b) => b.stop());
  }
  return run;
}

/** The README way: per gateway one client, each terminal awaited in turn, every failure waited out, no backoff. */
export async function naiveSweeps(targets: readonly BusTarget[], sweeps: number): Promise<SweepRun> {
  const run = emptyRun();
  const clients = await Promise.all(
    targets.map(async (t) => {
      const client = new ModbusRTU();
      await client.connectTCP(t.host, { port: t.port });
      client.setTimeout(clientTimeoutMs(t));
      return client;
    }),
  );
  const started = performance.now();
  try {
    await Promise.all(
      targets.map(async (t, i) => {
        const client = clients[i];
        for (let s = 0; s < sweeps; s++) {
          for (const unit of t.units) {
            run.polls++;
            client.setID(unit);
            const t0 = performance.now();
            try {
              await client.readHoldingRegisters(STATUS_READ.address, STATUS_READ.count);
              run.transactionMs.push(performance.now() - t0);
              run.ok++;
            } catch (e) {
              tally(run, failureKind(e));
            }
          }
        }
      }),
    );
  } finally {
    run.seconds = (performance.now() - started) / 1000;
    clients.forEach((c) => c.close(() => undefined));
  }
  return run;
}
