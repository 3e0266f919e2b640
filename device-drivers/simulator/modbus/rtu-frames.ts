/**
 * The device side of Modbus RTU framing for the simulator: cutting a byte stream into request frames, and building
 * replies. Our terminals speak FC03 read holding registers and FC16 write multiple registers (terminal-modbus
 * PROTOCOL.md §1); every other function code is still framed here, by the lengths of Modbus Application Protocol
 * v1.1b3 §6, so that the bus can answer it with exception 0x01 (§7) as a real RTU slave does.
 * A serial line carries no frame lengths, so requests are measured by function code; a frame whose CRC fails is
 * resynchronised on by dropping one byte, and the buffer is capped. As on a real RTU line, silence ends a frame: after
 * the line has been idle (`idle()`), whatever partial bytes were waiting are dropped, so garbage that announced a long
 * frame cannot hold back the request that follows the gap.
 */
import { rtuCrcOk, sealRtu } from '../../modbus-crc';

export const FC_READ_HOLDING = 0x03;
export const FC_WRITE_SINGLE = 0x06;
export const FC_WRITE_MULTIPLE = 0x10;

export const EXCEPTION = { illegalFunction: 1, illegalAddress: 2, illegalValue: 3, deviceFailure: 4, busy: 6 } as const;

export type ModbusRequest =
  | { unit: number; fc: 0x03; address: number; count: number }
  | { unit: number; fc: 0x06; address: number; values: number[] }
  | { unit: number; fc: 0x10; address: number; values: number[]; count: number; byteCount: number }
  | { unit: number; fc: number; address: -1; unsupported: true };

/** Length of the request frame starting at `buf[0]`, or null when more bytes are needed to tell. */
function requestLength(buf: Buffer): number | null {
  if (buf.length < 2) return null;
  switch (buf[1]) {
    case FC_READ_HOLDING:
    case FC_WRITE_SINGLE:
    case 0x01:
    case 0x02:
    case 0x04:
    case 0x05:
    case 0x08: // diagnostics, sub-function + one data word
      return 8;
    case FC_WRITE_MULTIPLE:
    case 0x0f:
      return buf.length < 7 ? null : 9 + buf[6];
    case 0x16: // mask write register: address, AND mask, OR mask
      return 10;
    case 0x17: // read/write multiple registers: read address, count, write address, count, byte count, values
      return buf.length < 11 ? null : 13 + buf[10];
    case 0x18: // read FIFO queue: pointer address
      return 6;
    case 0x14: // read / write file record: byte count first
    case 0x15:
      return buf.length < 3 ? null : 5 + buf[2];
    case 0x2b: // encapsulated interface transport; read device identification (MEI 0x0E) carries two bytes more
      return buf.length < 3 ? null : buf[2] === 0x0e ? 7 : 5;
    default:
      return 4; // no request data (0x07, 0x0B, 0x0C, 0x11) or unknown: unit + fc + crc, answered with illegal function
  }
}

export function decodeRequest(frame: Buffer): ModbusRequest {
  const unit = frame[0];
  const fc = frame[1];
  if (fc === FC_READ_HOLDING) return { unit, fc, address: frame.readUInt16BE(2), count: frame.readUInt16BE(4) };
  if (fc === FC_WRITE_SINGLE) return { unit, fc, address: frame.readUInt16BE(2), values: [frame.readUInt16BE(4)] };
  if (fc === FC_WRITE_MULTIPLE) {
    const count = frame.readUInt16BE(4);
    const byteCount = frame[6];
    const values: number[] = [];
    for (let i = 0; i < count && 7 + 2 * i + 1 < frame.length - 2; i++) values.push(frame.readUInt16BE(7 + 2 * i));
    return { unit, fc, address: frame.readUInt16BE(2), values, count, byteCount };
  }
  return { unit, fc, address: -1, unsupported: true };
}

export class RtuRequestParser {
  private buf = Buffer.alloc(0);
  /** Bytes dropped while resynchronising (garbage, noise, corrupted frames). */
  discarded = 0;

  constructor(private readonly maxBuffer = 512) {}

  push(chunk: Buffer): Buffer[] {
    this.buf = this.buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buf, chunk]);
    const frames: Buffer[] = [];
    for (;;) {
      const len = requestLength(this.buf);
      if (len === null || this.buf.length < len) break;
      const candidate = this.buf.subarray(0, len);
      if (rtuCrcOk(candidate)) {
        frames.push(Buffer.from(candidate));
        this.buf = this.buf.subarray(len);
      } else {
        this.buf = this.buf.subarray(1);
        this.discarded += 1;
      }
    }
    if (this.buf.length > this.maxBuffer) {
      this.discarded += this.buf.length;
      this.buf = Buffer.alloc(0);
    }
    return frames;
  }

  /** The line has been silent longer than a frame may pause: what is waiting can never complete. */
  idle(): void {
    this.discarded += this.buf.length;
    this.buf = Buffer.alloc(0);
  }

  get buffered(): number {
    return this.buf.length;
  }
}

export function readReply(unit: number, values: readonly number[]): Buffer {
  const pdu = Buffer.alloc(2 + 2 * values.length);
  pdu[0] = FC_READ_HOLDING;
  pdu[1] = 2 * values.length;
  values.forEach((v, i) => pdu.writeUInt16BE(v & 0xffff, 2 + 2 * i));
  return sealRtu(unit, pdu);
}

export function writeReply(unit: number, fc: number, address: number, countOrValue: number): Buffer {
  const pdu = Buffer.alloc(5);
  pdu[0] = fc;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(countOrValue & 0xffff, 3);
  return sealRtu(unit, pdu);
}

export function exceptionReply(unit: number, fc: number, code: number): Buffer {
  return sealRtu(unit, Buffer.from([fc | 0x80, code]));
}
