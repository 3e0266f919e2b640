/** Identity block (PROTOCOL.md §2): one FC03 read of 40 registers at 0x0000. */
import { decodeResourceCode, encodeResourceCode } from '../codes';
import { CODECS, MAP_VERSION, REGISTERS, SOURCES, type CodecName, type TerminalSource } from './registers';
import {
  asciiToRegisters,
  bytesToRegisters,
  expectCount,
  registersToAscii,
  registersToBytes,
  splitU32,
  u32,
} from './words';

export interface IdentityRecord {
  vendor: string;
  model: string;
  firmware: string;
  serial: string;
  /** 23 digits. */
  resourceCode: string;
  codecs: CodecName[];
  clipStorageKb: number;
  /** Sources the terminal can play (never 'none'). */
  sources: Exclude<TerminalSource, 'none'>[];
  display: boolean;
  /** §9: the terminal holds a schedule (reg 38 bit 1); absent = false. */
  holdsSchedule?: boolean;
  mapVersion: number;
}

/** §2.1 */
export function codecBitmap(codecs: readonly CodecName[]): number {
  return CODECS.filter((c) => codecs.includes(c.name)).reduce((m, c) => m | (1 << c.bit), 0);
}

export function codecsFromBitmap(bitmap: number): CodecName[] {
  return CODECS.filter((c) => (bitmap & (1 << c.bit)) !== 0).map((c) => c.name);
}

/** §2 reg 35: bit = source code − 1. */
export function sourceBitmap(sources: readonly TerminalSource[]): number {
  return sources.reduce((m, s) => (s === 'none' ? m : m | (1 << (SOURCES.indexOf(s) - 1))), 0);
}

export function sourcesFromBitmap(bitmap: number): Exclude<TerminalSource, 'none'>[] {
  return SOURCES.filter((s, i): s is Exclude<TerminalSource, 'none'> => i > 0 && (bitmap & (1 << (i - 1))) !== 0);
}

export function encodeIdentity(id: Omit<IdentityRecord, 'mapVersion'> & { mapVersion?: number }): number[] {
  const regs = [
    ...asciiToRegisters(id.vendor, 16, 'identity.vendor'),
    ...asciiToRegisters(id.model, 16, 'identity.model'),
    ...asciiToRegisters(id.firmware, 8, 'identity.firmware'),
    ...asciiToRegisters(id.serial, 16, 'identity.serial'),
    ...bytesToRegisters(encodeResourceCode(id.resourceCode)),
    codecBitmap(id.codecs),
    sourceBitmap(id.sources),
    ...splitU32(id.clipStorageKb, 'identity.clipStorageKb'),
    (id.display ? 1 : 0) | (id.holdsSchedule ? 2 : 0),
    id.mapVersion ?? MAP_VERSION,
  ];
  expectCount(regs, REGISTERS.identity.count, 'identity');
  return regs;
}

export function decodeIdentity(regs: readonly number[]): IdentityRecord {
  expectCount(regs, REGISTERS.identity.count, 'identity');
  return {
    vendor: registersToAscii(regs.slice(0, 8)),
    model: registersToAscii(regs.slice(8, 16)),
    firmware: registersToAscii(regs.slice(16, 20)),
    serial: registersToAscii(regs.slice(20, 28)),
    resourceCode: decodeResourceCode(registersToBytes(regs.slice(28, 34))),
    codecs: codecsFromBitmap(regs[34]),
    sources: sourcesFromBitmap(regs[35]),
    clipStorageKb: u32(regs, 36),
    display: (regs[38] & 1) === 1,
    holdsSchedule: (regs[38] & 2) === 2,
    mapVersion: regs[39],
  };
}
