/**
 * Held schedule (PROTOCOL.md §9, 断网续播): the table of entries a terminal plays by itself while it hears nothing from
 * the controller, the digest the signed announce (command 17) carries, and the log of the plays it made.
 */
import { sm3 } from 'sm-crypto-v2';
import { REGISTERS, type TerminalSource } from './registers';
import { sourceCode, sourceFromCode } from './status';
import { bytesToRegisters, checkRange, registersToBytes, splitU32, TerminalCodecError, u32 } from './words';

const H = REGISTERS.held;
export const HELD_ENTRY_BYTES = 16;
/** Hold-off bounds, seconds (§9.4). */
export const HOLD_OFF_MIN_S = 2;
export const HOLD_OFF_MAX_S = 3600;
/** Priorities a held entry may carry: the daily classes and below (§9.2), never an emergency's or a drill's. */
export const HELD_PRIORITY_MIN = 6;
export const HELD_PRIORITY_MAX = 14;

/** §9.2: one entry, 16 bytes. Times are UTC seconds on the terminal's clock. */
export interface HeldEntry {
  start: number;
  end: number;
  source: Exclude<TerminalSource, 'none' | 'tone'>;
  priority: number;
  /** 0–100, 255 keep the terminal's volume. */
  volume: number;
  /** FM in 10 kHz, line-in channel, IP stream index, or the clip id of a stored source. */
  sourceParam: number;
}

/** §9.1 header states. */
export const HELD_STATES = { none: 0, filling: 1, active: 2, digestMismatch: 3, invalidEntry: 4 } as const;

/** §9.1: the header a terminal reports at 0x0700. */
export interface HeldHeader {
  state: number;
  tableId: number;
  entryCount: number;
  entriesWritten: number;
  validFrom: number;
  validUntil: number;
  holdOffSeconds: number;
  /** SM3 the terminal computed at the commit, 64 hex digits; all zero before. */
  digest: string;
}

/** §9.5 outcomes of a held play. */
export const HELD_OUTCOMES = { whole: 1, command: 2, restart: 3, notStarted: 4 } as const;
export type HeldOutcome = keyof typeof HELD_OUTCOMES;

/** §9.5: one record of the play log. */
export interface HeldPlayRecord {
  sequence: number;
  tableId: number;
  entryIndex: number;
  outcome: HeldOutcome;
  /** UTC seconds on the terminal's clock. */
  start: number;
  end: number;
}

export interface HeldLog {
  /** Unacknowledged records held (all of them, also those past this read). */
  count: number;
  /** Records dropped because the ring was full since the last acknowledgement. */
  dropped: number;
  /** Sequence of the newest record, 0 none. */
  newest: number;
  records: HeldPlayRecord[];
}

export function encodeHeldEntry(e: HeldEntry, field = 'held.entry'): Buffer {
  const b = Buffer.alloc(HELD_ENTRY_BYTES);
  b.writeUInt32BE(checkRange(e.start, 1, 0xffffffff, `${field}.start`), 0);
  b.writeUInt32BE(checkRange(e.end, e.start + 1, 0xffffffff, `${field}.end`), 4);
  b[8] = checkRange(sourceCode(e.source), 1, 4, `${field}.source`);
  b[9] = checkRange(e.priority, HELD_PRIORITY_MIN, HELD_PRIORITY_MAX, `${field}.priority`);
  b[10] = e.volume === 255 ? 255 : checkRange(e.volume, 0, 100, `${field}.volume`);
  b.writeUInt16BE(checkRange(e.sourceParam, 0, 0xffff, `${field}.sourceParam`), 12);
  return b;
}

/** Decodes one entry; throws TerminalCodecError when it breaks §9.2 (the commit then reports state 4). */
export function decodeHeldEntry(b: Uint8Array, field = 'held.entry'): HeldEntry {
  const buf = Buffer.from(b);
  const start = buf.readUInt32BE(0);
  const end = buf.readUInt32BE(4);
  if (start === 0 || end <= start)
    throw new TerminalCodecError(`${field}.end`, `must be after start ${start}; got ${end}`);
  const source = sourceFromCode(checkRange(buf[8], 1, 4, `${field}.source`), `${field}.source`);
  return {
    start,
    end,
    source: source as HeldEntry['source'],
    priority: checkRange(buf[9], HELD_PRIORITY_MIN, HELD_PRIORITY_MAX, `${field}.priority`),
    volume: buf[10] === 255 ? 255 : checkRange(buf[10], 0, 100, `${field}.volume`),
    sourceParam: buf.readUInt16BE(12),
  };
}

/** The table bytes the digest covers: the entries in order, 16 bytes each (§9.3). */
export function heldTableBytes(entries: readonly HeldEntry[]): Buffer {
  if (entries.length > H.maxEntries) throw new TerminalCodecError('held.entries', `at most ${H.maxEntries} entries`);
  return Buffer.concat(entries.map((e, i) => encodeHeldEntry(e, `held.entries[${i}]`)));
}

/** SM3 of the table bytes, 64 hex digits. */
export function heldDigest(entries: readonly HeldEntry[]): string {
  return sm3(heldTableBytes(entries));
}

/** The table id Dalaba gives a table: the first two digest bytes, 0 replaced by 1 (§9.3: any 1–65,535 will do). */
export function heldTableId(digest: string): number {
  return Number.parseInt(digest.slice(0, 4), 16) || 1;
}

/**
 * The FC16 writes that fill a table (§9.2): `[address, registers]`, up to 15 entries each, in order.
 */
export function heldEntryWrites(entries: readonly HeldEntry[]): [number, number[]][] {
  const regs = bytesToRegisters(heldTableBytes(entries));
  const out: [number, number[]][] = [];
  const per = H.maxEntriesPerWrite * H.entryRegisters;
  for (let at = 0; at < regs.length; at += per) out.push([H.entriesAddress + at, regs.slice(at, at + per)]);
  return out;
}

export function encodeHeldHeader(h: HeldHeader): number[] {
  return [
    h.state,
    h.tableId,
    h.entryCount,
    h.entriesWritten,
    ...splitU32(h.validFrom, 'held.validFrom'),
    ...splitU32(h.validUntil, 'held.validUntil'),
    h.holdOffSeconds,
    0,
    ...bytesToRegisters(Buffer.from(h.digest.padEnd(64, '0'), 'hex')),
  ];
}

export function decodeHeldHeader(regs: readonly number[]): HeldHeader {
  if (regs.length !== H.headerCount)
    throw new TerminalCodecError('held.header', `expected ${H.headerCount} registers, got ${regs.length}`);
  return {
    state: regs[0],
    tableId: regs[1],
    entryCount: regs[2],
    entriesWritten: regs[3],
    validFrom: u32(regs, 4),
    validUntil: u32(regs, 6),
    holdOffSeconds: regs[8],
    digest: registersToBytes(regs.slice(10, 26)).toString('hex'),
  };
}

function encodeRecord(r: HeldPlayRecord): number[] {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(r.sequence, 0);
  b.writeUInt16BE(r.tableId, 4);
  b[6] = r.entryIndex;
  b[7] = HELD_OUTCOMES[r.outcome];
  b.writeUInt32BE(r.start, 8);
  b.writeUInt32BE(r.end, 12);
  return bytesToRegisters(b);
}

function decodeRecord(regs: readonly number[], field: string): HeldPlayRecord {
  const b = registersToBytes(regs);
  const outcome = (Object.keys(HELD_OUTCOMES) as HeldOutcome[]).find((k) => HELD_OUTCOMES[k] === b[7]);
  if (!outcome) throw new TerminalCodecError(`${field}.outcome`, `unknown outcome ${b[7]}`);
  return {
    sequence: b.readUInt32BE(0),
    tableId: b.readUInt16BE(4),
    entryIndex: b[6],
    outcome,
    start: b.readUInt32BE(8),
    end: b.readUInt32BE(12),
  };
}

/** §9.5: the log block, header and the oldest records (at most 15), as a terminal lays it out. */
export function encodeHeldLog(log: HeldLog): number[] {
  return [
    Math.min(log.count, 0xffff),
    Math.min(log.dropped, 0xffff),
    ...splitU32(log.newest, 'held.log.newest'),
    ...log.records.slice(0, H.logRecordsPerRead).flatMap(encodeRecord),
  ];
}

/** Registers to read at 0x0C00 for a log of `count` records: the header and up to 15 records. */
export function heldLogReadCount(count: number): number {
  return H.logHeaderCount + H.logRecordRegisters * Math.min(count, H.logRecordsPerRead);
}

export function decodeHeldLog(regs: readonly number[]): HeldLog {
  if (regs.length < H.logHeaderCount) throw new TerminalCodecError('held.log', 'at least 4 registers');
  const n = Math.min(regs[0], Math.floor((regs.length - H.logHeaderCount) / H.logRecordRegisters));
  const records = Array.from({ length: n }, (_, i) => {
    const at = H.logHeaderCount + i * H.logRecordRegisters;
    return decodeRecord(regs.slice(at, at + H.logRecordRegisters), `held.log[${i}]`);
  });
  return { count: regs[0], dropped: regs[1], newest: u32(regs, 2), records };
}

/** §9.5: the acknowledgement, 2 registers at 0x0C80: records up to this sequence are dropped. */
export function encodeHeldAck(sequence: number): number[] {
  return splitU32(checkRange(sequence, 1, 0xffffffff, 'held.ack.sequence'), 'held.ack.sequence');
}
