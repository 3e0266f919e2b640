/**
 * The `sweep` workload (docs/performance.md): consecutive full status sweeps of every terminal on every bus, buses in
 * parallel. Done twice in the same run: by the controller's own stack — one ModbusTerminalBus per gateway, built with
 * the options the server gives it (src/field/bus-factory.ts: the gateway row's line and timing, the scheduler's
 * defaults, unit backoff included), swept by the Sweeper the server runs — and by the naive way of modbus-serial's
 * README (one client per gateway, `await` each terminal in turn, unicast only, no backoff). Its line-rate bound comes
 * from the same model the simulator enforces.
 */
import { performance } from 'node:perf_hooks';
import ModbusRTU from 'modbus-serial';
import { REGISTERS, type CommandSigner } from '../../firmware-protocols/terminal-modbus';
import { Sweeper } from '../bus/sweeper';
import { ModbusTerminalBus } from '../modbus-terminal/modbus-terminal-bus';
import type { GatewayConfig } from '../modbus-terminal/connection';
import { toBusError } from '../modbus-terminal/errors';
import type { ShapeGateway } from '../simulator/county-shape';
import { lineTimingOf } from '../simulator/network';
import type { BusErrorKind } from '../terminal-bus';
import type { Clock } from '../transport/clock';
import { Bound, type LineTiming } from '../transport/line-timing';

/** One status read (terminal-modbus PROTOCOL.md §3, one FC03): request of 8 bytes, reply of 5 + 2 × count bytes. */
export const STATUS_READ = REGISTERS.status;
export const STATUS_REQUEST_BYTES = 8;
export const STATUS_REPLY_BYTES = 5 + 2 * STATUS_READ.count;

export interface BusTarget {
  busId: string;
  /** The gateway as the server configures its driver from the registry row. */
  gateway: GatewayConfig & { host: string; port: number; requestTimeoutMs: number };
  units: number[];
  timing: LineTiming;
}

/**
 * A gateway of the simulated shape listening on host:port, configured as src/field/bus-factory.ts configures a row of
 * its kind (`modbus-tcp` unless the simulator serves the buses as serial-device servers, `rtu-over-tcp`).
 */
export function busTargetOf(
  g: ShapeGateway,
  host: string,
  port: number,
  kind: 'modbus-tcp' | 'rtu-over-tcp' = 'modbus-tcp',
): BusTarget {
  return {
    busId: g.name,
    gateway: {
      kind,
      host,
      port,
      baudRate: g.baudRate,
      parity: g.parity,
      dataBits: g.dataBits,
      stopBits: g.stopBits,
      requestTimeoutMs: g.requestTimeoutMs,
      turnaroundMs: g.turnaroundMs,
      broadcastDelayMs: g.broadcastDelayMs,
    },
    units: g.terminals.map((t) => t.unitId),
    timing: lineTimingOf(g),
  };
}

/** What the driver needs besides its gateway (the server's BusFactoryDeps); polls sign nothing. */
export interface DriverDeps {
  clock: Clock;
  signer: CommandSigner;
  nextSequence: () => number;
}

export interface SweepRun {
  seconds: number;
  /** Each bus's own time for all its sweeps, in target order. */
  busSeconds: number[];
  /** Requests put to the gateways (retries included, fail-fast backoff refusals not). */
  requests: number;
  /** Each bus's requests and errors by kind, in target order. */
  busRequests: number[];
  busErrors: Partial<Record<BusErrorKind, number>>[];
  /** Unit polls by outcome, after retries: answered, failed, skipped (backed off: no wire time). */
  ok: number;
  failed: number;
  skipped: number;
  errors: Partial<Record<BusErrorKind, number>>;
  /** Time between consecutive good status reads on a bus, ms: one transaction plus whatever separates it from the previous. */
  cycleMs: number[];
}

/** What the wire forces: every live unit's status transaction in every sweep, and one request to each dead unit. */
export function sweepBound(target: BusTarget, sweeps: number, deadUnits: number): Bound {
  const live = target.units.length - deadUnits;
  return new Bound(target.timing)
    .transaction(STATUS_REQUEST_BYTES, STATUS_REPLY_BYTES, sweeps * live)
    .unanswered(STATUS_REQUEST_BYTES, deadUnits);
}

function tally(errors: SweepRun['errors'], kind: BusErrorKind, n = 1): void {
  errors[kind] = (errors[kind] ?? 0) + n;
}

/** Records the times of good reads on one bus and the intervals between them. */
function cycleRecorder(run: SweepRun): () => void {
  let last: number | null = null;
  return () => {
    const now = performance.now();
    if (last !== null) run.cycleMs.push(now - last);
    last = now;
  };
}

const emptyRun = (buses: number): SweepRun => ({
  seconds: 0,
  busSeconds: new Array<number>(buses).fill(0),
  requests: 0,
  busRequests: new Array<number>(buses).fill(0),
  busErrors: Array.from({ length: buses }, () => ({})),
  ok: 0,
  failed: 0,
  skipped: 0,
  errors: {},
  cycleMs: [],
});

/** Runs `work` for every bus at once; fills each bus's own time and the whole time. */
async function timed(run: SweepRun, buses: number, work: (bus: number) => Promise<void>): Promise<void> {
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: buses }, async (_, i) => {
        await work(i);
        run.busSeconds[i] = (performance.now() - started) / 1000;
      }),
    );
  } finally {
    run.seconds = (performance.now() - started) / 1000;
  }
}

/** The controller's way: the server's driver and sweeper, `sweeps` full sweeps per bus, buses in parallel. */
export async function controllerSweeps(
  targets: readonly BusTarget[],
  sweeps: number,
  deps: DriverDeps,
): Promise<SweepRun> {
  const run = emptyRun(targets.length);
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
  try {
    await Promise.all(buses.map((b) => b.start()));
    const notConnected = buses.filter((b) => b.connectionState() !== 'connected').map((b) => b.id);
    if (notConnected.length > 0) throw new Error(`controller: could not connect to ${notConnected.join(', ')}`);
    const subscriptions = buses.map((b) => {
      const seen = cycleRecorder(run);
      return b.events.subscribe((e) => e.type === 'status' && seen());
    });
    const sweepers = buses.map((bus, i) => new Sweeper({ bus, clock: deps.clock, units: targets[i].units }));
    await timed(run, buses.length, async (i) => {
      for (let s = 0; s < sweeps; s++) {
        const summary = await sweepers[i].sweepOnce();
        run.ok += summary.ok;
        run.failed += summary.failed;
        run.skipped += summary.skipped;
      }
    });
    subscriptions.forEach((s) => s.unsubscribe());
    buses.forEach((b, i) => {
      const m = b.metrics();
      run.requests += m.transactions;
      run.busRequests[i] = m.transactions;
      for (const [kind, n] of Object.entries(m.errors) as [BusErrorKind, number][]) {
        tally(run.errors, kind, n);
        tally(run.busErrors[i], kind, n);
      }
    });
  } finally {
    await Promise.all(buses.map((b) => b.stop()));
  }
  return run;
}

/** The client's own timeout in the naive way: the gateway's wait plus the transaction's wire time, twice over, and margin. */
function naiveTimeoutMs(t: BusTarget): number {
  return (
    t.gateway.requestTimeoutMs + Math.ceil(t.timing.transactionMs(STATUS_REQUEST_BYTES, STATUS_REPLY_BYTES)) * 2 + 200
  );
}

/** The README way: per gateway one client, each terminal awaited in turn, every failure waited out, no retry, no backoff. */
export async function naiveSweeps(targets: readonly BusTarget[], sweeps: number): Promise<SweepRun> {
  const run = emptyRun(targets.length);
  const clients = await Promise.all(
    targets.map(async (t) => {
      const client = new ModbusRTU();
      await client.connectTCP(t.gateway.host, { port: t.gateway.port });
      client.setTimeout(naiveTimeoutMs(t));
      return client;
    }),
  );
  try {
    await timed(run, targets.length, async (i) => {
      const client = clients[i];
      const seen = cycleRecorder(run);
      for (let s = 0; s < sweeps; s++) {
        for (const unit of targets[i].units) {
          run.requests++;
          run.busRequests[i]++;
          client.setID(unit);
          try {
            await client.readHoldingRegisters(STATUS_READ.address, STATUS_READ.count);
            seen();
            run.ok++;
          } catch (e) {
            run.failed++;
            const kind = toBusError(e, targets[i].busId, unit, 'FC03 status').kind;
            tally(run.errors, kind);
            tally(run.busErrors[i], kind);
          }
        }
      }
    });
  } finally {
    clients.forEach((c) => c.close(() => undefined));
  }
  return run;
}
