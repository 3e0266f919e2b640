/**
 * What the rest of the server may ask of the field: commands, clip transfers and reads addressed by registry ids
 * (terminal id, gateway id), never by bus or unit. The field module implements it over the buses it owns; dispatch
 * and diagnostics depend on this contract only (docs/architecture.md: only src/field imports device-drivers).
 */
import type {
  BusErrorKind, ClipToTransfer, ClipTransferResult, CommandResult, ConnectionState, PriorityClass, RequestOptions, TerminalCommand,
  TerminalStatus,
} from '../../device-drivers/terminal-bus';

export type {
  BusErrorKind, ClipToTransfer, ClipTransferResult, CommandResult, ConnectionState, PriorityClass, RequestOptions, TerminalCommand,
  TerminalStatus,
};
export { BusError } from '../../device-drivers/terminal-bus';

/** Where a terminal sits on the wire. */
export interface TerminalLocation {
  terminalId: number;
  gatewayId: number;
  unit: number;
}

export abstract class FieldCommands {
  /** The terminal's gateway and unit, or null when it is unknown, disabled or its gateway has no open bus. */
  abstract locate(terminalId: number): TerminalLocation | null;
  /** The connection state of a gateway's bus, or null when no bus is open for it. */
  abstract connection(gatewayId: number): ConnectionState | null;
  /** A signed command to one terminal, through its bus's scheduler at `opts.priority` (default 'command'). */
  abstract command(terminalId: number, command: TerminalCommand, opts?: RequestOptions): Promise<CommandResult>;
  /** A signed command to every unit of a gateway's bus in one broadcast (Modbus unit 0); no reply. */
  abstract commandBus(gatewayId: number, command: TerminalCommand, opts?: RequestOptions): Promise<CommandResult>;
  abstract readStatus(terminalId: number, opts?: RequestOptions): Promise<TerminalStatus>;
  /** Diagnostics: a bounded raw read of holding registers (count ≤ 64). */
  abstract readRegisters(terminalId: number, address: number, count: number, opts?: RequestOptions): Promise<number[]>;
  /** Stores a clip on the given terminals of one gateway (broadcast chunks + selective repair); results by terminal id. */
  abstract transferClip(gatewayId: number, terminalIds: number[], clip: ClipToTransfer, opts?: RequestOptions): Promise<ClipTransferResult & { terminals: { stored: number[]; alreadyStored: number[]; failed: { terminalId: number; reason: string }[] } }>;
}
