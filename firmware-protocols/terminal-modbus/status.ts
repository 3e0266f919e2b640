/** Status block (PROTOCOL.md §3): one FC03 read of 20 registers at 0x0100. */
import { sm3 } from 'sm-crypto-v2';
import { bitmapFromFaults, faultsFromBitmap, parseBroadcastId, type FaultKey } from '../codes';
import { REGISTERS, SOURCES, UNKNOWN_S16, UNKNOWN_U16, type TerminalSource } from './registers';
import { checkRange, expectCount, splitU32, TerminalCodecError, u32 } from './words';

export interface StatusRecord {
  state: number;
  priority: number;
  source: TerminalSource;
  broadcastClass: number;
  volume: number;
  clipId: number;
  /** §3.1, 0 none. */
  broadcastHandle: number;
  faults: FaultKey[];
  /** Volts, null unknown. */
  supplyVoltage: number | null;
  /** °C, null unknown. */
  temperature: number | null;
  /** Percent, null unknown. */
  signalQuality: number | null;
  uptimeSeconds: number;
  crcErrors: number;
  refusedCommands: number;
  lastCommandSequence: number;
  /** UTC seconds. */
  clockSeconds: number;
}

/** §3.1: first four bytes of SM3 over the 35 ASCII digits, big-endian; 0 becomes 1. */
export function broadcastHandle(broadcastId: string): number {
  parseBroadcastId(broadcastId);
  const h = Number.parseInt(sm3(broadcastId).slice(0, 8), 16);
  return h === 0 ? 1 : h;
}

export function sourceCode(source: TerminalSource): number {
  return SOURCES.indexOf(source);
}

export function sourceFromCode(code: number, field = 'source'): TerminalSource {
  const s = SOURCES[code];
  if (s === undefined) throw new TerminalCodecError(field, `unknown source code ${code}`);
  return s;
}

export function encodeStatus(s: StatusRecord): number[] {
  const temp = s.temperature === null ? UNKNOWN_S16 : Math.round(s.temperature * 10);
  checkRange(temp, -0x8000, 0x7fff, 'status.temperature');
  const regs = [
    checkRange(s.state, 1, 5, 'status.state'),
    checkRange(s.priority, 0, 15, 'status.priority'),
    sourceCode(s.source),
    checkRange(s.broadcastClass, 0, 5, 'status.broadcastClass'),
    checkRange(s.volume, 0, 100, 'status.volume'),
    checkRange(s.clipId, 0, 0xffff, 'status.clipId'),
    ...splitU32(s.broadcastHandle, 'status.broadcastHandle'),
    bitmapFromFaults(s.faults),
    s.supplyVoltage === null
      ? UNKNOWN_U16
      : checkRange(Math.round(s.supplyVoltage * 10), 0, 0xfffe, 'status.supplyVoltage'),
    temp & 0xffff,
    s.signalQuality === null ? UNKNOWN_U16 : checkRange(s.signalQuality, 0, 100, 'status.signalQuality'),
    ...splitU32(s.uptimeSeconds, 'status.uptimeSeconds'),
    s.crcErrors & 0xffff,
    s.refusedCommands & 0xffff,
    ...splitU32(s.lastCommandSequence, 'status.lastCommandSequence'),
    ...splitU32(s.clockSeconds, 'status.clockSeconds'),
  ];
  expectCount(regs, REGISTERS.status.count, 'status');
  return regs;
}

export function decodeStatus(regs: readonly number[]): StatusRecord {
  expectCount(regs, REGISTERS.status.count, 'status');
  const temp = regs[10] >= 0x8000 ? regs[10] - 0x10000 : regs[10];
  return {
    state: checkRange(regs[0], 1, 5, 'status.state'),
    priority: regs[1],
    source: sourceFromCode(regs[2], 'status.source'),
    broadcastClass: regs[3],
    volume: regs[4],
    clipId: regs[5],
    broadcastHandle: u32(regs, 6),
    faults: faultsFromBitmap(regs[8]),
    supplyVoltage: regs[9] === UNKNOWN_U16 ? null : regs[9] / 10,
    temperature: temp === UNKNOWN_S16 ? null : temp / 10,
    signalQuality: regs[11] === UNKNOWN_U16 ? null : regs[11],
    uptimeSeconds: u32(regs, 12),
    crcErrors: regs[14],
    refusedCommands: regs[15],
    lastCommandSequence: u32(regs, 16),
    clockSeconds: u32(regs, 18),
  };
}
