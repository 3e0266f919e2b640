/**
 * What a clip transfer asks of a Modbus bus (clip-transfer.ts), and how it tells the bus errors it meets apart: a frame
 * lost to noise, a transfer cancelled, a block refused as a replay.
 */
import { TERMINAL_EXCEPTIONS, type CommandRecord } from '../../firmware-protocols/terminal-modbus';
import { BusError, type CommandResult, type PriorityClass, type RequestOptions } from '../terminal-bus';
import type { SignedBlock } from './signed-blocks';

/** What a clip transfer needs of a Modbus bus (ModbusTerminalBus provides it). */
export interface ClipWire {
  readonly id: string;
  read(unit: number, address: number, count: number, operation: string, opts?: RequestOptions): Promise<number[]>;
  write(
    unit: number | 'all',
    address: number,
    values: number[],
    operation: string,
    opts: RequestOptions & { priority: PriorityClass },
  ): Promise<void>;
  sign(command: CommandRecord): SignedBlock;
  /**
   * The unit's register map version (PROTOCOL.md §2 reg 39) as last identified; when unknown and `read`, read from its
   * identity block once (and remembered). Null when unknown and not read.
   */
  mapVersion(unit: number, opts: RequestOptions, read: boolean): Promise<number | null>;
  writeSigned(
    unit: number | 'all',
    block: SignedBlock,
    operation: string,
    opts?: RequestOptions,
  ): Promise<CommandResult>;
}

/** The request options every frame of a transfer goes with. */
export type Req = RequestOptions & { priority: PriorityClass };

/** A frame lost to noise (the unit may well be there), as opposed to a refusal or a closed link. */
export function isLostFrame(e: unknown): boolean {
  return e instanceof BusError && (e.kind === 'timeout' || e.kind === 'crc' || e.kind === 'short-reply');
}

export function isCancelled(e: unknown): boolean {
  return e instanceof BusError && e.kind === 'cancelled';
}

/** Refused as a replay: the unit took this very block already (a broadcast reached it, our read did not). */
export function isReplay(e: unknown): boolean {
  return e instanceof BusError && e.kind === 'refused' && e.exceptionCode === TERMINAL_EXCEPTIONS.replay;
}
