/**
 * Stored clips (PROTOCOL.md §6): chunk frames, the receive block with its missing-chunk bitmap, commit, directory.
 */
import {
  CHUNK_BYTES,
  MAX_CHUNKS,
  MAX_READ_REGISTERS,
  RECEIVE_STATES,
  REGISTERS,
  type MapVersion,
  type ReceiveStateName,
} from './registers';
import { bytesToRegisters, checkRange, registersToBytes, splitU32, TerminalCodecError, u32 } from './words';

export function chunkCount(size: number): number {
  const n = Math.ceil(checkRange(size, 1, MAX_CHUNKS * CHUNK_BYTES, 'clip.size') / CHUNK_BYTES);
  return n;
}

/** §6.2: registers of chunk `index` of `data`. */
export function encodeChunkFrame(clipId: number, index: number, data: Uint8Array): number[] {
  const n = chunkCount(data.length);
  checkRange(index, 0, n - 1, 'chunk.index');
  const part = data.subarray(index * CHUNK_BYTES, Math.min(data.length, (index + 1) * CHUNK_BYTES));
  return [checkRange(clipId, 1, 0xffff, 'chunk.clipId'), index, part.length, ...bytesToRegisters(part)];
}

export interface ChunkFrame {
  clipId: number;
  index: number;
  data: Buffer;
}

export function decodeChunkFrame(regs: readonly number[]): ChunkFrame {
  if (regs.length < REGISTERS.chunk.headerCount + 1 || regs.length > REGISTERS.chunk.maxCount) {
    throw new TerminalCodecError(
      'chunk',
      `a chunk frame is 4–${REGISTERS.chunk.maxCount} registers; got ${regs.length}`,
    );
  }
  const length = checkRange(regs[2], 1, CHUNK_BYTES, 'chunk.length');
  if (Math.ceil(length / 2) !== regs.length - 3)
    throw new TerminalCodecError(
      'chunk.length',
      `${length} bytes need ${Math.ceil(length / 2)} data registers; got ${regs.length - 3}`,
    );
  return { clipId: regs[0], index: regs[1], data: registersToBytes(regs.slice(3)).subarray(0, length) };
}

/** §6.3 bitmap: bit b of register k set = chunk 16k + b missing. */
export function encodeMissingBitmap(missing: Iterable<number>, chunks: number): number[] {
  const regs = new Array<number>(Math.ceil(chunks / 16)).fill(0);
  for (const i of missing) {
    checkRange(i, 0, chunks - 1, 'bitmap.chunk');
    regs[i >> 4] |= 1 << (i & 15);
  }
  return regs;
}

/** Chunk indices marked missing; `firstChunk` is 16 × the first register's offset in the bitmap. */
export function missingFromBitmap(regs: readonly number[], chunks: number, firstChunk = 0): number[] {
  const out: number[] = [];
  regs.forEach((r, k) => {
    for (let b = 0; b < 16; b++) {
      const i = firstChunk + k * 16 + b;
      if (i < chunks && (r & (1 << b)) !== 0) out.push(i);
    }
  });
  return out;
}

export interface ReceiveRecord {
  clipId: number;
  state: ReceiveStateName;
  chunkCount: number;
  missingCount: number;
  /** Missing chunk indices from the bitmap part that was read (all when the read covered every chunk). */
  missing: number[];
}

/** Registers to read at 0x0500 for header + whole bitmap, capped at one FC03 (§6.3). */
export function receiveReadCount(chunks: number): number {
  return Math.min(MAX_READ_REGISTERS, REGISTERS.receive.headerCount + Math.ceil(chunks / 16));
}

/** §6.3: the most chunks a terminal of register map `version` can report in its bitmap. */
export function maxChunksOf(version: MapVersion): number {
  return version === 1 ? REGISTERS.receive.v1BitmapCount * 16 : MAX_CHUNKS;
}

/** Chunks the first read at 0x0500 (header + mirror, ≤ 125 registers) reports: 1,936. */
export const FIRST_READ_CHUNKS = REGISTERS.receive.mirrorCount * 16;

/** One FC03 of bitmap registers: `first` is the index k of the first bitmap register it brings in. */
export interface BitmapRead {
  address: number;
  count: number;
  first: number;
}

/**
 * §6.3: the reads, after the first one at 0x0500, that bring in bitmap registers `from`… of a clip of `chunks` chunks:
 * pages at 0x1000 + k (version 2), or within 0x0504–0x057F (version 1, whose clips must fit maxChunksOf(1)).
 */
export function bitmapPageReads(
  version: MapVersion,
  chunks: number,
  from: number = REGISTERS.receive.mirrorCount,
): BitmapRead[] {
  const R = REGISTERS.receive;
  const total = Math.ceil(chunks / 16);
  if (chunks > maxChunksOf(version))
    throw new TerminalCodecError(
      'bitmap',
      `register map version ${version} reports at most ${maxChunksOf(version)} chunks`,
    );
  const base = version === 1 ? R.bitmapAddress : R.pagesAddress;
  const out: BitmapRead[] = [];
  for (let k = from; k < total; k += MAX_READ_REGISTERS)
    out.push({ address: base + k, count: Math.min(MAX_READ_REGISTERS, total - k), first: k });
  return out;
}

/**
 * §6.3, terminal side: the registers a terminal of map `version` answers for FC03 at `address`, `count` in the receive
 * block (header + bitmap mirror, or version 1's bitmap) or the bitmap pages; null when the read is not wholly inside one
 * of them (the terminal answers exception 0x02 unless another block holds it).
 */
export function readReceiveRegisters(
  version: MapVersion,
  address: number,
  count: number,
  header: readonly number[],
  bitmap: readonly number[],
): number[] | null {
  const R = REGISTERS.receive;
  const end = address + count;
  const lowEnd = R.bitmapAddress + (version === 1 ? R.v1BitmapCount : R.mirrorCount);
  if (count < 1 || count > MAX_READ_REGISTERS) return null;
  if (address >= R.address && end <= lowEnd)
    return Array.from({ length: count }, (_, i) => {
      const a = address + i;
      return a < R.bitmapAddress ? (header[a - R.address] ?? 0) : (bitmap[a - R.bitmapAddress] ?? 0);
    });
  if (version >= 2 && address >= R.pagesAddress && end <= R.pagesAddress + R.maxBitmapCount)
    return Array.from({ length: count }, (_, i) => bitmap[address - R.pagesAddress + i] ?? 0);
  return null;
}

/** What a terminal answers for a read of `count` registers at 0x0500 (count ≥ 4). */
export function encodeReceiveBlock(
  r: { clipId: number; state: ReceiveStateName; chunkCount: number; missing: Iterable<number> },
  count: number,
): number[] {
  const missing = [...r.missing];
  const bitmap = encodeMissingBitmap(missing, r.chunkCount);
  const regs = [r.clipId, RECEIVE_STATES[r.state], r.chunkCount, missing.length, ...bitmap];
  checkRange(count, REGISTERS.receive.headerCount, MAX_READ_REGISTERS, 'receive.count');
  while (regs.length < count) regs.push(0);
  return regs.slice(0, count);
}

export function decodeReceiveBlock(regs: readonly number[]): ReceiveRecord {
  if (regs.length < REGISTERS.receive.headerCount)
    throw new TerminalCodecError('receive', `at least 4 registers; got ${regs.length}`);
  const state = (Object.keys(RECEIVE_STATES) as ReceiveStateName[]).find((k) => RECEIVE_STATES[k] === regs[1]);
  if (state === undefined) throw new TerminalCodecError('receive.state', `unknown receive state ${regs[1]}`);
  return {
    clipId: regs[0],
    state,
    chunkCount: regs[2],
    missingCount: regs[3],
    missing: missingFromBitmap(regs.slice(4), regs[2]),
  };
}

/** §6.4 */
export function encodeCommit(clipId: number): number[] {
  return [checkRange(clipId, 1, 0xffff, 'commit.clipId')];
}

export interface DirectoryRecord {
  freeKb: number;
  clips: { clipId: number; /** First four digest bytes, 8 hex digits. */ digestPrefix: string }[];
}

/** §6.5 */
export function encodeDirectory(d: DirectoryRecord): number[] {
  if (d.clips.length > REGISTERS.directory.maxEntries)
    throw new TerminalCodecError('directory', `at most ${REGISTERS.directory.maxEntries} entries`);
  return [
    d.clips.length,
    ...splitU32(d.freeKb, 'directory.freeKb'),
    0,
    ...d.clips.flatMap((c) => [
      checkRange(c.clipId, 1, 0xffff, 'directory.clipId'),
      ...bytesToRegisters(Buffer.from(c.digestPrefix.slice(0, 8), 'hex')),
    ]),
  ];
}

export function directoryReadCount(): number {
  return REGISTERS.directory.headerCount + REGISTERS.directory.entryCount * REGISTERS.directory.maxEntries;
}

export function decodeDirectory(regs: readonly number[]): DirectoryRecord {
  if (regs.length < REGISTERS.directory.headerCount) throw new TerminalCodecError('directory', 'at least 4 registers');
  const n = Math.min(regs[0], Math.floor((regs.length - 4) / 3));
  const clips = Array.from({ length: n }, (_, i) => {
    const at = 4 + i * 3;
    return { clipId: regs[at], digestPrefix: registersToBytes(regs.slice(at + 1, at + 3)).toString('hex') };
  });
  return { freeKb: u32(regs, 1), clips };
}
