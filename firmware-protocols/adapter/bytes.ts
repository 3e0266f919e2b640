/**
 * Byte writer and reader for the adapter codecs (PROTOCOL.md §2). Big-endian (layout.ts BIG_ENDIAN). A reader
 * that runs out of bytes throws an AdapterCodecError naming the field it was reading.
 */
import { decodeBroadcastId, decodeResourceCode, encodeBroadcastId, encodeResourceCode } from '../codes';
import { LEGACY_PAD, RESOURCE_FIELD } from './layout';

export class AdapterCodecError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'AdapterCodecError';
  }
}

export class ByteWriter {
  private readonly parts: Buffer[] = [];

  u8(v: number, field: string): this {
    checkInt(v, 0xff, field);
    this.parts.push(Buffer.from([v]));
    return this;
  }
  u16(v: number, field: string): this {
    checkInt(v, 0xffff, field);
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v);
    this.parts.push(b);
    return this;
  }
  i16(v: number, field: string): this {
    if (!Number.isInteger(v) || v < -0x8000 || v > 0x7fff)
      throw new AdapterCodecError(field, `must be an int16; got ${v}`);
    const b = Buffer.alloc(2);
    b.writeInt16BE(v);
    this.parts.push(b);
    return this;
  }
  u32(v: number, field: string): this {
    checkInt(v, 0xffffffff, field);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v);
    this.parts.push(b);
    return this;
  }
  /** UTC time as u32 seconds since 1970 (PROTOCOL.md §2.1). */
  time(at: Date, field: string): this {
    return this.u32(Math.floor(at.getTime() / 1000), field);
  }
  bytes(b: Uint8Array): this {
    this.parts.push(Buffer.from(b));
    return this;
  }
  fixed(b: Uint8Array, length: number, field: string): this {
    if (b.length !== length) throw new AdapterCodecError(field, `must be ${length} bytes; got ${b.length}`);
    return this.bytes(b);
  }
  resourceCode(code: string, field: string): this {
    return this.bytes(encodeResourceField(code, field));
  }
  broadcastId(id: string): this {
    return this.bytes(encodeBroadcastId(id));
  }
  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

function checkInt(v: number, max: number, field: string): void {
  if (!Number.isInteger(v) || v < 0 || v > max)
    throw new AdapterCodecError(field, `must be an integer 0–${max}; got ${v}`);
}

export class ByteReader {
  private pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly where: string,
  ) {}

  get remaining(): number {
    return this.buf.length - this.pos;
  }
  private need(n: number, field: string): number {
    if (this.pos + n > this.buf.length) {
      throw new AdapterCodecError(
        `${this.where}.${field}`,
        `needs ${n} bytes at offset ${this.pos}, only ${this.remaining} left`,
      );
    }
    const p = this.pos;
    this.pos += n;
    return p;
  }
  u8(field: string): number {
    return this.buf[this.need(1, field)];
  }
  u16(field: string): number {
    return this.buf.readUInt16BE(this.need(2, field));
  }
  i16(field: string): number {
    return this.buf.readInt16BE(this.need(2, field));
  }
  u32(field: string): number {
    return this.buf.readUInt32BE(this.need(4, field));
  }
  time(field: string): Date {
    return new Date(this.u32(field) * 1000);
  }
  bytes(n: number, field: string): Buffer {
    const p = this.need(n, field);
    return this.buf.subarray(p, p + n);
  }
  rest(): Buffer {
    return this.bytes(this.remaining, 'rest');
  }
  resourceCode(field: string): string {
    return wrap(`${this.where}.${field}`, () => decodeResourceField(this.bytes(RESOURCE_FIELD, field)));
  }
  broadcastId(field: string): string {
    return wrap(`${this.where}.${field}`, () => decodeBroadcastId(this.bytes(18, field)));
  }
  end(): void {
    if (this.remaining !== 0) throw new AdapterCodecError(this.where, `${this.remaining} unexpected trailing bytes`);
  }
}

function wrap<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw new AdapterCodecError(field, e instanceof Error ? e.message : String(e));
  }
}

/** A resource code in a 12-byte field: 23 digits as 0xF + BCD; legacy 18 digits as 3 × 0xFF + 9 BCD (layout.ts). */
export function encodeResourceField(code: string, field = 'resourceCode'): Buffer {
  if (/^\d{18}$/.test(code)) return Buffer.concat([Buffer.alloc(3, LEGACY_PAD), Buffer.from(code, 'hex')]);
  return wrap(field, () => encodeResourceCode(code));
}

export function decodeResourceField(bytes: Uint8Array): string {
  if (bytes.length !== RESOURCE_FIELD) throw new AdapterCodecError('resourceCode', `must be ${RESOURCE_FIELD} bytes`);
  if (bytes[0] === LEGACY_PAD && bytes[1] === LEGACY_PAD && bytes[2] === LEGACY_PAD)
    return decodeResourceCode(bytes.subarray(3));
  return decodeResourceCode(bytes);
}
