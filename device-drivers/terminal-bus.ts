/**
 * One interface over both terminal families (docs/protocols.md): Modbus terminals on RS-485 buses and adapters speaking
 * the national adapter protocol. Monitoring and dispatch talk only to this; they never care which family is behind.
 * Every call goes through the bus's scheduler (one transaction in flight per bus) at the priority class it names.
 */
import type { Observable } from 'rxjs';
import type { ClipToTransfer, SourceKind, TerminalCommand, TerminalStatus } from '../firmware-protocols/codes';
import type { HeldEntry, HeldHeader, HeldLog } from '../firmware-protocols/terminal-modbus/held';

/** The neutral terminal model lives with the codes (firmware-protocols/codes/terminal-model.ts). */
export type { ClipToTransfer, SourceKind, TerminalCommand, TerminalStatus };

/** Scheduler classes, highest first (docs/protocols.md, "the bus scheduler"). */
export type PriorityClass = 'emergency' | 'command' | 'transfer' | 'poll';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

/** Why a request failed, as counted per unit and per bus. */
export type BusErrorKind =
  | 'timeout'
  | 'crc'
  | 'exception'
  | 'wrong-unit'
  | 'short-reply'
  | 'refused'
  | 'disconnected'
  | 'deadline'
  | 'backoff'
  | 'cancelled'
  | 'protocol';

/** Why a clip transfer did not store the clip on one unit: a request failed, or the transfer's own checks. */
export type TransferFailureKind = BusErrorKind | 'incomplete' | 'digest-mismatch' | 'unexpected-state';

/** A driver error names the bus, the unit and the function (house rule: errors name what is wrong). */
export class BusError extends Error {
  constructor(
    readonly kind: BusErrorKind,
    readonly busId: string,
    readonly unit: number | null,
    readonly operation: string,
    detail: string,
    /** The exception code the answer carried: a terminal's refusal (firmware-protocols/terminal-modbus TERMINAL_EXCEPTIONS), or a gateway's. */
    readonly exceptionCode: number | null = null,
  ) {
    super(`bus ${busId}${unit === null ? '' : ` unit ${unit}`} ${operation}: ${detail}`);
    this.name = 'BusError';
  }
}

export interface TerminalIdentity {
  vendor: string;
  model: string;
  firmware: string;
  serial: string;
  resourceCode: string;
  capabilities: {
    codecs: string[];
    clipStorageKb: number;
    sources: SourceKind[];
    display: boolean;
    /** Holds a schedule of its own (terminal-modbus PROTOCOL.md §9); absent or false for older terminals. */
    holdsSchedule?: boolean;
  };
}

export type { HeldEntry, HeldHeader, HeldLog };

/** A held schedule as the controller writes it (terminal-modbus PROTOCOL.md §9). Times are UTC seconds. */
export interface HeldTable {
  entries: HeldEntry[];
  validFrom: number;
  validUntil: number;
  holdOffSeconds: number;
}

/** PROTOCOL.md §9 on one unit: write and verify a table, read and acknowledge the plays it made by itself. */
export interface HeldScheduleAccess {
  header(unit: number, opts?: RequestOptions): Promise<HeldHeader>;
  /** Announces (signed), fills, commits and reads back: resolves with the table id and digest once active. */
  write(unit: number, table: HeldTable, opts?: RequestOptions): Promise<{ tableId: number; digest: string }>;
  /** The header and the oldest unacknowledged records (up to 15). */
  plays(unit: number, opts?: RequestOptions): Promise<HeldLog>;
  acknowledge(unit: number, sequence: number, opts?: RequestOptions): Promise<void>;
  /**
   * One table for several units of the bus (§9.7): announce, entries and commit broadcast once, then each unit's header
   * read back; resolves with the units holding it. Every capable unit that hears the broadcast takes the table.
   */
  writeAll?(units: number[], table: HeldTable, opts?: RequestOptions): Promise<number[]>;
}

export interface CommandResult {
  /** For unicast: the terminal accepted it (wrote without exception). For broadcast: sent, nothing to accept. */
  accepted: boolean;
  unit: number | 'all';
  sequence: number;
}

export interface ClipTransferResult {
  /** Units that committed the clip (digest checked). */
  stored: number[];
  /** Units that already had it: nothing sent. */
  alreadyStored: number[];
  failed: { unit: number; reason: string; kind: TransferFailureKind; exceptionCode: number | null }[];
  framesSent: { broadcast: number; unicast: number };
}

export interface RequestOptions {
  priority?: PriorityClass;
  /** Absolute deadline (ms since epoch, on the bus clock); the request fails with kind 'deadline' after it. */
  deadline?: number;
  /** Aborting it fails the requests still queued with kind 'cancelled' (the one on the wire finishes); a clip transfer stops between frames. */
  signal?: AbortSignal;
  /**
   * Class 'poll' only: try a unit the scheduler has backed off instead of failing fast — background work (tone
   * provisioning) whose unit most likely lost one frame to noise, not a sweep's poll of a unit that keeps failing.
   */
  tryBackedOff?: boolean;
  /**
   * Clip transfers only: the signed prepare goes to each unit on its own, never to the whole bus. A prepare broadcast
   * moves the last accepted sequence (PROTOCOL.md §3 regs 16–17) of every unit, also of one that took a start and is
   * idle again, which only that sequence tells from one that never took it.
   */
  prepareEach?: boolean;
}

export type BusEvent =
  | { type: 'status'; busId: string; unit: number; status: TerminalStatus; at: number }
  | { type: 'unreachable'; busId: string; unit: number; error: BusErrorKind; at: number }
  | { type: 'connection'; busId: string; state: ConnectionState; at: number; detail?: string }
  | { type: 'error'; busId: string; unit: number | null; error: BusErrorKind; message: string; at: number }
  /** Adapter family: task start/end and broadcast results reported by the front-end (回传). */
  | { type: 'report'; busId: string; unit: number; report: Record<string, unknown>; at: number };

export interface BusMetrics {
  busId: string;
  connection: ConnectionState;
  /** Fraction of wall time with a transaction in flight since start. */
  utilisation: number;
  queueDepth: Record<PriorityClass, number>;
  transactions: number;
  errors: Partial<Record<BusErrorKind, number>>;
  /** Units currently backed off after failures, with the time they are next tried. */
  backedOff: { unit: number; failures: number; nextTryAt: number }[];
}

export interface TerminalBus {
  readonly id: string;
  readonly family: 'modbus' | 'adapter';
  readonly events: Observable<BusEvent>;
  connectionState(): ConnectionState;
  /** Opens the transport and keeps it open (reconnecting with backoff) until stop(). */
  start(): Promise<void>;
  stop(): Promise<void>;
  identify(unit: number, opts?: RequestOptions): Promise<TerminalIdentity>;
  readStatus(unit: number, opts?: RequestOptions): Promise<TerminalStatus>;
  /** unit 'all' = the whole bus in one broadcast (Modbus unit 0), no reply. */
  command(unit: number | 'all', command: TerminalCommand, opts?: RequestOptions): Promise<CommandResult>;
  transferClip(units: number[], clip: ClipToTransfer, opts?: RequestOptions): Promise<ClipTransferResult>;
  /** Diagnostics: a bounded raw read of holding registers (at most 64). */
  readRegisters(unit: number, address: number, count: number, opts?: RequestOptions): Promise<number[]>;
  metrics(): BusMetrics;
  /** Present on families that can hold a schedule on the terminal (Modbus, PROTOCOL.md §9). */
  readonly held?: HeldScheduleAccess;
}
