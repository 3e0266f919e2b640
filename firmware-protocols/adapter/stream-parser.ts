/**
 * One stream parser for everything on an adapter line (PROTOCOL.md §6): command frames (0x49 / 0x50) and 回传
 * frames (0xFEFD), interleaved. Pure: bytes in, items out. It resynchronises on garbage (a candidate that fails a
 * header check or its CRC costs one byte), recovers a valid frame that follows a truncated one (it looks ahead for a
 * complete frame while it waits), and never holds more than one maximal frame between pushes.
 */
import { AdapterCodecError } from './bytes';
import { decodeCommandFrame, type CommandFrame } from './command-frame';
import { crc32Mpeg2 } from './crc32-mpeg2';
import {
  COMMAND_HEADER_LENGTH,
  COMMAND_VERSION,
  HEAD_COMMAND,
  HEAD_REPLY,
  MAX_COMMAND_BODY,
  MAX_RETURN_LENGTH,
  RESOURCE_FIELD,
  RETURN_FIXED_BEFORE_LENGTH,
  RETURN_LENGTH_FIELD,
  RETURN_VERSION,
  SIGNATURE_BODY_LENGTH,
} from './layout';
import { decodeReturnFrame, type ReturnFrame } from './return-frame';

export type FrameKind = 'command' | 'reply' | 'return';

export type ParsedItem =
  | { kind: 'command'; frame: CommandFrame; raw: Buffer }
  | { kind: 'return'; frame: ReturnFrame; raw: Buffer }
  /** A frame whose CRC checked but whose content does not decode: skipped whole. */
  | { kind: 'invalid'; error: AdapterCodecError; raw: Buffer };

export interface ParserStats {
  frames: number;
  invalidFrames: number;
  garbageBytes: number;
  crcErrors: number;
}

/** The longest frame either protocol allows; the parser's buffer never exceeds it between pushes. */
export const MAX_COMMAND_FRAME = COMMAND_HEADER_LENGTH + MAX_COMMAND_BODY + 2 + SIGNATURE_BODY_LENGTH + 4;
export const MAX_RETURN_FRAME = RETURN_FIXED_BEFORE_LENGTH + RETURN_LENGTH_FIELD + MAX_RETURN_LENGTH + 4;
export const PARSER_BUFFER_CAP = Math.max(MAX_COMMAND_FRAME, MAX_RETURN_FRAME);
const RETURN_HEADER = RETURN_FIXED_BEFORE_LENGTH + RETURN_LENGTH_FIELD;
const MIN_RETURN_LENGTH = RESOURCE_FIELD + 2 + 1;

type Probe =
  { status: 'frame'; end: number; kind: 'command' | 'return' } | { status: 'need' } | { status: 'bad'; crc: boolean };

export class AdapterStreamParser {
  private buf: Buffer = Buffer.alloc(0);
  private readonly heads: Set<number>;
  private readonly returns: boolean;
  readonly stats: ParserStats = { frames: 0, invalidFrames: 0, garbageBytes: 0, crcErrors: 0 };

  /** `accept` names the frames this side of the line expects; the others are garbage to it. */
  constructor(accept: readonly FrameKind[] = ['command', 'reply', 'return']) {
    this.heads = new Set<number>();
    if (accept.includes('command')) this.heads.add(HEAD_COMMAND);
    if (accept.includes('reply')) this.heads.add(HEAD_REPLY);
    this.returns = accept.includes('return');
  }

  /** Bytes held waiting for the rest of a frame. */
  buffered(): number {
    return this.buf.length;
  }

  reset(): void {
    this.stats.garbageBytes += this.buf.length;
    this.buf = Buffer.alloc(0);
  }

  push(chunk: Uint8Array): ParsedItem[] {
    const out: ParsedItem[] = [];
    // feed at most one cap's worth at a time so a huge chunk never sits in memory twice
    for (let off = 0; off < chunk.length; off += PARSER_BUFFER_CAP) {
      const piece = chunk.subarray(off, Math.min(chunk.length, off + PARSER_BUFFER_CAP));
      this.buf = this.buf.length === 0 ? Buffer.from(piece) : Buffer.concat([this.buf, piece]);
      this.drain(out);
    }
    return out;
  }

  private isHead(i: number): boolean {
    const b = this.buf[i];
    return this.heads.has(b) || (this.returns && b === 0xfe && (i + 1 >= this.buf.length || this.buf[i + 1] === 0xfd));
  }

  private nextHead(from: number): number {
    for (let i = from; i < this.buf.length; i++) if (this.isHead(i)) return i;
    return -1;
  }

  private drop(n: number): void {
    this.stats.garbageBytes += n;
    this.buf = this.buf.subarray(n);
  }

  private drain(out: ParsedItem[]): void {
    for (;;) {
      const i = this.nextHead(0);
      if (i < 0) return this.drop(this.buf.length);
      if (i > 0) this.drop(i);
      const p = this.probe(0);
      if (p.status === 'frame') {
        this.emit(p.kind, p.end, out);
        continue;
      }
      if (p.status === 'bad') {
        if (p.crc) this.stats.crcErrors++;
        this.drop(1);
        continue;
      }
      // the candidate at 0 is incomplete: is there a complete frame further on? (a truncated frame then a good one)
      let found = -1;
      for (let j = this.nextHead(1); j > 0; j = this.nextHead(j + 1)) {
        if (this.probe(j).status === 'frame') {
          found = j;
          break;
        }
      }
      if (found < 0) return;
      this.drop(found);
    }
  }

  private emit(kind: 'command' | 'return', end: number, out: ParsedItem[]): void {
    const raw = Buffer.from(this.buf.subarray(0, end));
    this.buf = this.buf.subarray(end);
    try {
      if (kind === 'command') out.push({ kind, frame: decodeCommandFrame(raw), raw });
      else out.push({ kind, frame: decodeReturnFrame(raw), raw });
      this.stats.frames++;
    } catch (e) {
      this.stats.invalidFrames++;
      const error =
        e instanceof AdapterCodecError ? e : new AdapterCodecError('frame', e instanceof Error ? e.message : String(e));
      out.push({ kind: 'invalid', error, raw });
    }
  }

  private probe(i: number): Probe {
    return this.buf[i] === 0xfe ? this.probeReturn(i) : this.probeCommand(i);
  }

  private probeCommand(i: number): Probe {
    const b = this.buf;
    const avail = b.length - i;
    if (avail >= 3 && b.readUInt16BE(i + 1) !== COMMAND_VERSION) return { status: 'bad', crc: false };
    if (avail < COMMAND_HEADER_LENGTH) return { status: 'need' };
    const length = b.readUInt32BE(i + COMMAND_HEADER_LENGTH - 4);
    if (length > MAX_COMMAND_BODY) return { status: 'bad', crc: false };
    const sigAt = COMMAND_HEADER_LENGTH + length;
    if (avail < sigAt + 2) return { status: 'need' };
    const sigLen = b.readUInt16BE(i + sigAt);
    if (sigLen !== 0 && sigLen !== SIGNATURE_BODY_LENGTH) return { status: 'bad', crc: false };
    return this.checkCrc(i, sigAt + 2 + sigLen, 'command');
  }

  private probeReturn(i: number): Probe {
    const b = this.buf;
    const avail = b.length - i;
    if (avail >= 4 && b.readUInt16BE(i + 2) !== RETURN_VERSION) return { status: 'bad', crc: false };
    if (avail >= 9 && b[i + 8] !== 1 && b[i + 8] !== 2) return { status: 'bad', crc: false };
    if (avail < RETURN_HEADER) return { status: 'need' };
    const length = b.readUInt16BE(i + RETURN_FIXED_BEFORE_LENGTH);
    if (length < MIN_RETURN_LENGTH || length > MAX_RETURN_LENGTH) return { status: 'bad', crc: false };
    return this.checkCrc(i, RETURN_HEADER + length, 'return');
  }

  private checkCrc(i: number, crcAt: number, kind: 'command' | 'return'): Probe {
    if (this.buf.length - i < crcAt + 4) return { status: 'need' };
    const ok = crc32Mpeg2(this.buf, i, i + crcAt) === this.buf.readUInt32BE(i + crcAt);
    return ok ? { status: 'frame', end: i + crcAt + 4, kind } : { status: 'bad', crc: true };
  }
}
