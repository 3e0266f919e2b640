/**
 * One interface over both terminal families (docs/protocols.md): Modbus terminals on RS-485 buses and adapters speaking
 * the national adapter protocol. Monitoring and dispatch talk only to this; they never care which family is behind.
 * Every call goes through the bus's scheduler (one transaction in flight per bus) at the priority class it names.
 */
import type { Observable } from 'rxjs';
import type { FaultKey } from '../firmware-protocols/codes';

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

/** A driver error names the bus, the unit and the function (house rule: errors name what is wrong). */
export class BusError extends Error {
  constructor(
    readonly kind: BusErrorKind,
    readonly busId: string,
    readonly unit: number | null,
    readonly operation: string,
    detail: string,
  ) {
    super(`bus ${busId}${unit === null ? '' : ` unit ${unit}`} ${operation}: ${detail}`);
    this.name = 'BusError';
  }
}

export type SourceKind = 'none' | 'stored' | 'fm' | 'line-in' | 'ip' | 'tone';

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
  };
}

/** The neutral status of one terminal, as one poll (Modbus) or one heartbeat/回传 (adapter) reports it. */
export interface TerminalStatus {
  /** 1 normal, 2 stopped, 3 fault, 4 fault recovered, 5 broadcasting (TERMINAL_STATES, docs/domain.md). */
  state: number;
  /** Priority of what plays now (the priority table, docs/domain.md); 15 when idle. */
  priority: number;
  source: SourceKind;
  /** Clip id playing, 0 when none. */
  clipId: number;
  /** Broadcast (EBMID) playing, null when none or unknown. */
  broadcastId: string | null;
  /** Broadcast class of what plays (1–5), 0 when idle — drills are visible on the terminal. */
  broadcastClass: number;
  volume: number;
  faults: FaultKey[];
  supplyVoltage: number | null;
  temperature: number | null;
  signalQuality: number | null;
  uptimeSeconds: number | null;
  /** Counters the terminal itself keeps: CRC errors seen, commands refused (signature/replay/priority). */
  counters: { crcErrors: number; refusedCommands: number };
  lastCommandSequence: number;
  clock: Date | null;
}

export type TerminalCommand =
  | {
      code: 'play';
      source: SourceKind;
      clipId?: number;
      /** FM frequency in units of 10 kHz, line-in channel, or IP stream index — source-specific. */
      sourceParam?: number;
      priority: number;
      broadcastClass: number;
      repeat: number;
      volume: number;
      /** Synchronised start; absent = at once. */
      startAt?: Date;
      endAt?: Date;
      broadcastId: string | null;
    }
  | { code: 'stop'; broadcastId: string | null; priority: number }
  | { code: 'volume'; volume: number }
  | { code: 'amplifier'; on: boolean }
  | { code: 'clock'; at: Date }
  | { code: 'reboot' }
  | { code: 'test-tone'; seconds: number; volume: number };

export interface CommandResult {
  /** For unicast: the terminal accepted it (wrote without exception). For broadcast: sent, nothing to accept. */
  accepted: boolean;
  unit: number | 'all';
  sequence: number;
}

export interface ClipToTransfer {
  clipId: number;
  codec: string;
  /** SM3 digest of the data, hex. */
  digest: string;
  data: Uint8Array;
}

export interface ClipTransferResult {
  /** Units that committed the clip (digest checked). */
  stored: number[];
  /** Units that already had it: nothing sent. */
  alreadyStored: number[];
  failed: { unit: number; reason: string }[];
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
}
