/**
 * The Modbus terminal driver (firmware-protocols/terminal-modbus/PROTOCOL.md) behind TerminalBus. Every transaction
 * goes through the bus scheduler (one in flight per bus, priority classes, deadlines, unit backoff, reconnect).
 * Commands are signed once and the same block is written to every unit (docs/domain.md, "Signatures").
 */
import { Subject, merge, map, type Observable } from 'rxjs';
import {
  broadcastHandle as buildHandle,
  buildCommandBlock,
  decodeIdentity,
  decodeStatus,
  REGISTERS,
  type CommandRecord,
  type CommandSigner,
} from '../../firmware-protocols/terminal-modbus';
import { BusScheduler } from '../bus/scheduler';
import type { Clock } from '../transport/clock';
import { LineTiming } from '../transport/line-timing';
import {
  BusError,
  type BusEvent,
  type BusMetrics,
  type ClipToTransfer,
  type ClipTransferResult,
  type CommandResult,
  type ConnectionState,
  type PriorityClass,
  type RequestOptions,
  type TerminalBus,
  type TerminalCommand,
  type TerminalIdentity,
  type TerminalStatus,
} from '../terminal-bus';
import { transferClip } from './clip-transfer';
import { ModbusHeldSchedule } from './held-schedule';
import type { ReplyTimer, ReplyTimerState } from '../bus/reply-timer';
import { ModbusConnection, replyTimerFor, type GatewayConfig } from './connection';
import { toBusError } from './errors';
import { toCommandRecord, toIdentity, toStatus } from './mapping';
import type { SignedBlock, SignedBlockCache } from './signed-blocks';

export interface ModbusTerminalBusOptions {
  busId: string;
  gateway: GatewayConfig;
  clock: Clock;
  /** Signs command blocks (firmware-protocols/signing Sm2Signer). */
  signer: CommandSigner;
  /** The controller-wide command sequence (PROTOCOL.md §5.2): strictly increasing across restarts. */
  nextSequence: () => number;
  /** Asked before each transaction goes on the wire (BusSchedulerOptions.mayTransmit); absent: always. */
  mayTransmit?: () => boolean;
  /** Injected scheduler; one over modbus-serial connections to `gateway` when absent. */
  scheduler?: BusScheduler<ModbusConnection>;
  /** Bound on remembered broadcast ids for handle resolution. */
  maxKnownBroadcasts?: number;
  /** Shared by the controller's buses: an identical command is signed once for all of them (signed-blocks.ts). */
  signedBlocks?: SignedBlockCache;
}

export type { SignedBlock };

/** The steps of a broadcast, the same on every bus: signed once. A technician's commands are signed each time. */
/** The key of a command's block in a SignedBlockCache. */
export function signedBlockKey(c: CommandRecord): string {
  return JSON.stringify(c);
}

function isBroadcastStep(c: CommandRecord): boolean {
  return (
    c.code === 'prepare-clip' ||
    c.code === 'hold-schedule' ||
    (c.code === 'play' && c.broadcastId !== null) ||
    (c.code === 'stop' && c.broadcastHandle !== 0)
  );
}

export class ModbusTerminalBus implements TerminalBus {
  readonly id: string;
  readonly family = 'modbus' as const;
  readonly events: Observable<BusEvent>;
  private readonly own = new Subject<BusEvent>();
  private readonly scheduler: BusScheduler<ModbusConnection>;
  private readonly clock: Clock;
  private readonly broadcastDelayMs: number;
  /** The wire time of a broadcast frame, which the master waits out itself (no answer tells it); null without a baud rate. */
  private readonly line: LineTiming | null;
  private readonly handles = new Map<number, string>();
  private readonly maxKnown: number;
  /** Register map version of each unit (PROTOCOL.md §2 reg 39), from its identity block. */
  private readonly mapVersions = new Map<number, number>();
  /** The bus's learned reply time on RTU links, kept across reconnects; null through a Modbus TCP gateway. */
  private readonly replyTimer: ReplyTimer | null;
  /** PROTOCOL.md §9 (a unit whose identity reg 38 bit 1 is clear refuses it). */
  readonly held: ModbusHeldSchedule = new ModbusHeldSchedule(this, () => this.clock.now());

  constructor(private readonly opts: ModbusTerminalBusOptions) {
    this.id = opts.busId;
    this.clock = opts.clock;
    const g = opts.gateway;
    this.broadcastDelayMs = g.broadcastDelayMs ?? 50;
    // a broadcast gets no answer, so nothing tells the master when it has left the wire: wait its wire time on every
    // link kind (a Modbus TCP gateway queues the next request behind it, and that request's timeout would run meanwhile)
    this.line =
      g.baudRate === undefined && g.kind === 'modbus-tcp'
        ? null
        : new LineTiming({
            baud: g.baudRate ?? 9600,
            dataBits: g.dataBits ?? 8,
            parity: g.parity ?? 'even',
            stopBits: g.stopBits ?? 1,
            turnaroundMs: g.turnaroundMs ?? 0,
            broadcastDelayMs: this.broadcastDelayMs,
          });
    this.maxKnown = opts.maxKnownBroadcasts ?? 1024;
    this.replyTimer = replyTimerFor(g);
    const timing = { replyTimer: this.replyTimer, now: () => performance.now() };
    this.scheduler =
      opts.scheduler ??
      new BusScheduler<ModbusConnection>({
        busId: opts.busId,
        clock: opts.clock,
        connect: () => ModbusConnection.open(opts.gateway, timing),
        timeoutMs: (opts.gateway.requestTimeoutMs ?? 1000) + 500,
        mayTransmit: opts.mayTransmit,
      });
    const connection = this.scheduler.connectionChanges.pipe(
      map((c): BusEvent => ({ type: 'connection', busId: this.id, state: c.state, at: c.at, detail: c.detail })),
    );
    this.events = merge(connection, this.own.asObservable());
  }

  connectionState(): ConnectionState {
    return this.scheduler.metrics().connection;
  }

  start(): Promise<void> {
    return this.scheduler.start();
  }

  stop(): Promise<void> {
    this.scheduler.stop();
    this.own.complete();
    return Promise.resolve();
  }

  metrics(): BusMetrics {
    return this.scheduler.metrics();
  }

  /** What the bus has learned of its reply time (RTU links); null through a Modbus TCP gateway, which times replies itself. */
  replyTiming(): ReplyTimerState | null {
    return this.replyTimer?.state() ?? null;
  }

  /** FC03 (PROTOCOL.md §1); count ≤ 125. */
  read(
    unit: number,
    address: number,
    count: number,
    operation: string,
    opts: RequestOptions = {},
    fallback: PriorityClass = 'poll',
  ): Promise<number[]> {
    return this.scheduler.run(
      {
        unit,
        operation,
        priority: opts.priority ?? fallback,
        deadline: opts.deadline,
        signal: opts.signal,
        tryBackedOff: opts.tryBackedOff,
      },
      async (c) => {
        try {
          const regs = await c.readHolding(unit, address, count);
          if (regs.length !== count)
            throw new BusError(
              'short-reply',
              this.id,
              unit,
              operation,
              `expected ${count} registers, got ${regs.length}`,
            );
          return regs;
        } catch (e) {
          throw toBusError(e, this.id, unit, operation);
        }
      },
    );
  }

  /** FC16 to one unit, or to unit 0 ('all'): sent without awaiting a reply, then the bus's broadcast delay. */
  write(
    unit: number | 'all',
    address: number,
    values: number[],
    operation: string,
    opts: RequestOptions & { priority: PriorityClass },
  ): Promise<void> {
    const target = unit === 'all' ? 0 : unit;
    return this.scheduler.run(
      {
        unit: target,
        operation,
        priority: opts.priority,
        deadline: opts.deadline,
        signal: opts.signal,
        tryBackedOff: opts.tryBackedOff,
      },
      async (c) => {
        try {
          if (target !== 0) return await c.writeRegisters(target, address, values);
          c.broadcastWrite(address, values);
          // FC16 RTU frame: unit, fc, address, count, byte count, data, CRC = 9 + 2n bytes
          const onWire = this.line === null ? 0 : this.line.frameMs(9 + 2 * values.length) + this.line.gapMs;
          // on RTU links the transport's learned jitter too (ReplyTimer.transportAllowanceMs)
          const jitter = this.replyTimer?.transportAllowanceMs() ?? 0;
          await new Promise<void>((resolve) => this.clock.setTimeout(resolve, onWire + this.broadcastDelayMs + jitter));
        } catch (e) {
          throw toBusError(e, this.id, target === 0 ? null : target, operation);
        }
      },
    );
  }

  async identify(unit: number, opts?: RequestOptions): Promise<TerminalIdentity> {
    const regs = await this.read(
      unit,
      REGISTERS.identity.address,
      REGISTERS.identity.count,
      'FC03 identity',
      opts,
      'command',
    );
    const identity = this.decode(unit, 'FC03 identity', () => decodeIdentity(regs));
    this.mapVersions.set(unit, identity.mapVersion);
    return toIdentity(identity);
  }

  /** The unit's register map version as last identified; unknown and `read`: reg 39 alone, once (clip-transfer.ts). */
  async mapVersion(unit: number, opts: RequestOptions, read: boolean): Promise<number | null> {
    const known = this.mapVersions.get(unit);
    if (known !== undefined || !read) return known ?? null;
    const [version] = await this.read(
      unit,
      REGISTERS.identity.address + REGISTERS.identity.mapVersionAt,
      1,
      'FC03 identity map version',
      opts,
      'command',
    );
    this.mapVersions.set(unit, version);
    return version;
  }

  async readStatus(unit: number, opts?: RequestOptions): Promise<TerminalStatus> {
    const regs = await this.read(unit, REGISTERS.status.address, REGISTERS.status.count, 'FC03 status', opts);
    const status = toStatus(
      this.decode(unit, 'FC03 status', () => decodeStatus(regs)),
      (h) => this.handles.get(h) ?? null,
    );
    this.own.next({ type: 'status', busId: this.id, unit, status, at: this.clock.now() });
    return status;
  }

  /**
   * Signs a command once (PROTOCOL.md §4); the block may be written to any number of units and buses. A broadcast's
   * steps are taken from the shared cache (`fresh` = false): one signed block for every bus within its window.
   */
  sign(command: CommandRecord, fresh = false): SignedBlock {
    if (command.code === 'play' && command.broadcastId !== null) this.remember(command.broadcastId);
    const build = (): SignedBlock => {
      const sequence = this.opts.nextSequence();
      return {
        sequence,
        registers: buildCommandBlock(sequence, command, { signer: this.opts.signer, time: new Date(this.clock.now()) }),
      };
    };
    return !fresh && this.opts.signedBlocks && isBroadcastStep(command)
      ? this.opts.signedBlocks.blockFor(signedBlockKey(command), build)
      : build();
  }

  async writeSigned(
    unit: number | 'all',
    block: SignedBlock,
    operation: string,
    opts: RequestOptions = {},
  ): Promise<CommandResult> {
    await this.write(unit, REGISTERS.command.address, block.registers, operation, {
      ...opts,
      priority: opts.priority ?? 'command',
    });
    return { accepted: unit !== 'all', unit, sequence: block.sequence };
  }

  command(unit: number | 'all', command: TerminalCommand, opts?: RequestOptions): Promise<CommandResult> {
    // to one unit a command is always signed anew: a copy of a block that unit took earlier would be refused as a
    // replay (a broadcast resumed on one terminal after its own start there, within the cache's window)
    return this.writeSigned(
      unit,
      this.sign(toCommandRecord(command), unit !== 'all'),
      `FC16 command ${command.code}`,
      opts,
    );
  }

  transferClip(units: number[], clip: ClipToTransfer, opts: RequestOptions = {}): Promise<ClipTransferResult> {
    return transferClip(this, units, clip, opts);
  }

  readRegisters(unit: number, address: number, count: number, opts?: RequestOptions): Promise<number[]> {
    if (!Number.isInteger(count) || count < 1 || count > 64)
      throw new BusError('protocol', this.id, unit, 'FC03 diagnostics', `count must be 1–64; got ${count}`);
    return this.read(unit, address, count, 'FC03 diagnostics', opts);
  }

  private decode<T>(unit: number, operation: string, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      throw new BusError('protocol', this.id, unit, operation, e instanceof Error ? e.message : String(e));
    }
  }

  private remember(broadcastId: string): void {
    const h = buildHandle(broadcastId);
    this.handles.delete(h);
    this.handles.set(h, broadcastId);
    if (this.handles.size > this.maxKnown) this.handles.delete(this.handles.keys().next().value as number);
  }
}
