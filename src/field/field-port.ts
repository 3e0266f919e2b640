/**
 * The field port: the vocabulary the rest of the server speaks with the field — the neutral terminal model
 * (firmware-protocols/codes/terminal-model.ts), request options, clip transfer results and typed failures — so that
 * dispatch, monitoring and diagnostics never need a driver's types. src/field implements it over the drivers' buses
 * (field-buses.ts, driver-failures.ts); a test may implement it with a recording fake (src/dispatch/field-link.spec.ts).
 */
import type { ClipToTransfer, SourceKind, TerminalCommand, TerminalStatus } from '../../firmware-protocols/codes';

export type { ClipToTransfer, SourceKind, TerminalCommand, TerminalStatus };
/** A terminal's held schedule (terminal-modbus PROTOCOL.md §9) as FieldBuses.heldSchedule gives it, and a table. */
export type { HeldHeader, HeldScheduleAccess, HeldTable } from '../../device-drivers/terminal-bus';

/** Bus scheduler classes, highest first. */
export type PriorityClass = 'emergency' | 'command' | 'transfer' | 'poll';

export type ConnectionState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

/**
 * Why one request to the field failed: no answer in time (`timeout`, also a gateway reporting the unit silent), a
 * garbled answer (`crc`, `short-reply`, `wrong-unit`, `protocol`), a refusal with the terminal's exception code
 * (`refused`: not signed, replay, priority, clip not stored …; `exception`: a malformed request), the gateway's link
 * down (`disconnected`), a unit the scheduler has backed off (`backoff`), a deadline passed (`deadline`), or the
 * request cancelled (`cancelled`).
 */
export type RequestFailureKind =
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
  | 'protocol'
  /** Not sent: a broadcast start to the terminal is not verified yet (signing-guard.ts). */
  | 'start-in-doubt';

/** Why a clip transfer did not store the clip on one terminal: a request failed, or the transfer's own checks. */
export type TransferFailureKind = RequestFailureKind | 'incomplete' | 'digest-mismatch' | 'unexpected-state';

export interface FieldFailure<K extends string = TransferFailureKind> {
  kind: K;
  /** The terminal's exception code (firmware-protocols/terminal-modbus TERMINAL_EXCEPTIONS) for `refused` and `exception`. */
  exceptionCode: number | null;
  /** Names the bus, unit and operation: what a report shows. */
  message: string;
}

/** A request to the field that failed, with its typed failure and where it happened. */
export class FieldError extends Error {
  readonly kind: RequestFailureKind;
  readonly exceptionCode: number | null;

  constructor(
    failure: FieldFailure<RequestFailureKind>,
    readonly busId: string,
    readonly unit: number | null,
    readonly operation: string,
  ) {
    super(failure.message);
    this.name = 'FieldError';
    this.kind = failure.kind;
    this.exceptionCode = failure.exceptionCode;
  }

  get failure(): FieldFailure<RequestFailureKind> {
    return { kind: this.kind, exceptionCode: this.exceptionCode, message: this.message };
  }
}

/** What went wrong, for anything a field call may throw (a FieldError, or an error of the server's own). */
export function failureOf(e: unknown): FieldFailure<RequestFailureKind> {
  if (e instanceof FieldError) return e.failure;
  return { kind: 'protocol', exceptionCode: null, message: e instanceof Error ? e.message : String(e) };
}

export interface CommandResult {
  /** For unicast: the terminal accepted it. For a bus-wide command: sent, nothing to accept. */
  accepted: boolean;
  unit: number | 'all';
  /** The signed block's command sequence. */
  sequence: number;
}

export interface RequestOptions {
  priority?: PriorityClass;
  /** Absolute deadline (ms since epoch); the request fails with kind 'deadline' after it. */
  deadline?: number;
  /** Aborting it fails the requests still queued with kind 'cancelled'; a clip transfer stops between frames. */
  signal?: AbortSignal;
  /** Class 'poll' only: try a unit the scheduler has backed off instead of failing fast (background work). */
  tryBackedOff?: boolean;
  /** Clip transfers only: the signed prepare to each unit on its own, never to the whole bus (device-drivers/terminal-bus.ts). */
  prepareEach?: boolean;
  /**
   * The caller has read the terminals whose broadcast start is in doubt before signing to them (the dispatch engine):
   * the signing guard lets the command through (signing-guard.ts).
   */
  startsRead?: boolean;
}

/** A clip transfer on one gateway's bus, by terminal id. */
export interface FieldTransferResult {
  /** Terminals that committed the clip (digest checked). */
  stored: number[];
  /** Terminals that already had it: nothing sent. */
  alreadyStored: number[];
  failed: { terminalId: number; failure: FieldFailure }[];
  framesSent: { broadcast: number; unicast: number };
}

/** Where a terminal sits on the wire. */
export interface TerminalLocation {
  terminalId: number;
  gatewayId: number;
  unit: number;
}

/** A gateway with an open bus. */
export interface OpenGateway {
  gatewayId: number;
  family: 'modbus' | 'adapter';
  connection: ConnectionState;
}
