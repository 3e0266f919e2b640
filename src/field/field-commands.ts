/**
 * What the rest of the server may ask of the field: sweep results aside, commands, bus-wide commands for a synchronised
 * start, clip transfers and verification reads, addressed by registry ids (terminal id, gateway id), never by bus or
 * unit. The field module implements it over the buses it owns (field-buses.ts); dispatch, tone provisioning and
 * diagnostics depend on this contract and on the vocabulary of field-port.ts only — never on device-drivers
 * (docs/architecture.md: only src/field imports device-drivers).
 * Every failure is a FieldError with a typed kind (field-port.ts).
 */
import type {
  ClipToTransfer,
  CommandResult,
  ConnectionState,
  FieldTransferResult,
  OpenGateway,
  RequestOptions,
  TerminalCommand,
  TerminalLocation,
  TerminalStatus,
} from './field-port';
import type { StartsInDoubt } from './signing-guard';

export * from './field-port';

export abstract class FieldCommands {
  /** The terminal's gateway and unit, or null when it is unknown, disabled or its gateway has no open bus. */
  abstract locate(terminalId: number): TerminalLocation | null;
  /** The connection state of a gateway's bus, or null when no bus is open for it. */
  abstract connection(gatewayId: number): ConnectionState | null;
  /** How long a bus-wide command sent again is the very block first sent (a unit that took it refuses the copy as a replay). */
  abstract readonly signedBlockWindowMs: number;
  /**
   * A command sequence number every command signed from now on is greater than, and that is at least every number
   * signed before (by this instance, an earlier process of it, or the previous holder of a bus taken over). Each
   * command of `sending` is above it too however it goes out: a bus-wide one may go as the block signed for it a
   * moment ago for another bus (device-drivers/modbus-terminal/signed-blocks.ts).
   */
  abstract sequenceFloor(sending?: TerminalCommand[]): number;
  /**
   * The sequence floor when this instance opened the gateway's bus (null: not open here): every command signed on the
   * bus before, by a previous holder or an earlier process, is at most this; every one this instance signs is above.
   */
  abstract busSequenceFloor(gatewayId: number): number | null;
  /** The gateways with an open bus. */
  abstract openGateways(): OpenGateway[];
  /** Resolves when every registry change received so far has been applied to the buses. */
  abstract settled(): Promise<void>;
  /**
   * Who says which terminals have a broadcast start in doubt: no signed command goes to those but the dispatch
   * engine's (`RequestOptions.startsRead`), see signing-guard.ts.
   */
  abstract guardSigning(source: StartsInDoubt): void;
  /** A signed command to one terminal, through its bus's scheduler at `opts.priority` (default 'command'). */
  abstract command(terminalId: number, command: TerminalCommand, opts?: RequestOptions): Promise<CommandResult>;
  /** A signed command to every unit of a gateway's bus in one broadcast (Modbus unit 0); no reply. */
  abstract commandBus(gatewayId: number, command: TerminalCommand, opts?: RequestOptions): Promise<CommandResult>;
  abstract readStatus(terminalId: number, opts?: RequestOptions): Promise<TerminalStatus>;
  /** Diagnostics: a bounded raw read of holding registers (count ≤ 64). */
  abstract readRegisters(terminalId: number, address: number, count: number, opts?: RequestOptions): Promise<number[]>;
  /** Stores a clip on the given terminals of one gateway (broadcast chunks + selective repair); results by terminal id. */
  abstract transferClip(
    gatewayId: number,
    terminalIds: number[],
    clip: ClipToTransfer,
    opts?: RequestOptions,
  ): Promise<FieldTransferResult>;
}
