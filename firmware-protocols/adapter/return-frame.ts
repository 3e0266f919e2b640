/**
 * 回传 frames (PROTOCOL.md §5): head 0xFEFD, version 0x0100, session id u32, pack type u8 (1 report, 2 reply),
 * length u16, source (12 bytes), target count u16, N × 12-byte targets, business type u8, data, CRC32 (MPEG-2).
 */
import { AdapterCodecError, ByteReader, ByteWriter } from './bytes';
import { keyOf } from './commands';
import { crc32Mpeg2 } from './crc32-mpeg2';
import { hex32 } from './command-frame';
import {
  BROADCAST_RESULT_LENGTH,
  BUSINESS,
  FAULT_DATA_LENGTH,
  MAX_RETURN_LENGTH,
  PACK_TYPES,
  PLAY_RECORD_LENGTH,
  RESOURCE_FIELD,
  RETURN_HEAD,
  RETURN_HEARTBEAT_LENGTH,
  RETURN_VERSION,
  TASK_SWITCH_LENGTH,
} from './layout';
import { decodeQueryReply, encodeQueryReply, type QueryReply } from './tlv';

export type PackType = keyof typeof PACK_TYPES;

export type ReturnData =
  | { business: 'heartbeat'; state: number; volume: number }
  | { business: 'queryReply'; reply: QueryReply }
  | { business: 'fault'; recovered: boolean; faultCode: number; at: Date }
  | { business: 'taskSwitch'; taskSource: number; broadcastId: string; at: Date }
  | { business: 'broadcastResult'; broadcastId: string; state: number; at: Date }
  | { business: 'playRecords'; records: { broadcastId: string; startAt: Date; endAt: Date; state: number }[] };

export interface ReturnFrame {
  packType: PackType;
  session: number;
  /** Resource code of the reporting resource (a terminal, or the adapter itself). */
  source: string;
  targets: string[];
  data: ReturnData;
}

const FAULT_STATE = 3;
const RECOVERED_STATE = 4;

function encodeData(d: ReturnData): Buffer {
  const w = new ByteWriter();
  switch (d.business) {
    case 'heartbeat':
      return w.u8(d.state, 'state').u8(d.volume, 'volume').toBuffer();
    case 'queryReply':
      return encodeQueryReply(d.reply);
    case 'fault':
      return w
        .u8(d.recovered ? RECOVERED_STATE : FAULT_STATE, 'state')
        .u8(d.faultCode, 'faultCode')
        .time(d.at, 'at')
        .toBuffer();
    case 'taskSwitch':
      return w.u8(d.taskSource, 'taskSource').broadcastId(d.broadcastId).time(d.at, 'at').toBuffer();
    case 'broadcastResult':
      return w.broadcastId(d.broadcastId).u8(d.state, 'state').time(d.at, 'at').toBuffer();
    case 'playRecords':
      w.u8(d.records.length, 'recordCount');
      d.records.forEach((rec, i) =>
        w
          .broadcastId(rec.broadcastId)
          .time(rec.startAt, `records[${i}].startAt`)
          .time(rec.endAt, `records[${i}].endAt`)
          .u8(rec.state, `records[${i}].state`),
      );
      return w.toBuffer();
  }
}

function exact(r: ByteReader, n: number, business: string): void {
  if (r.remaining !== n) throw new AdapterCodecError(business, `data must be ${n} bytes; got ${r.remaining}`);
}

function decodeData(business: keyof typeof BUSINESS, data: Buffer): ReturnData {
  const r = new ByteReader(data, business);
  let d: ReturnData;
  switch (business) {
    case 'heartbeat':
      exact(r, RETURN_HEARTBEAT_LENGTH, business);
      d = { business, state: r.u8('state'), volume: r.u8('volume') };
      break;
    case 'queryReply':
      return { business, reply: decodeQueryReply(data) };
    case 'fault': {
      exact(r, FAULT_DATA_LENGTH, business);
      const s = r.u8('state');
      if (s !== FAULT_STATE && s !== RECOVERED_STATE)
        throw new AdapterCodecError('fault.state', `must be 3 or 4; got ${s}`);
      d = { business, recovered: s === RECOVERED_STATE, faultCode: r.u8('faultCode'), at: r.time('at') };
      break;
    }
    case 'taskSwitch':
      exact(r, TASK_SWITCH_LENGTH, business);
      d = { business, taskSource: r.u8('taskSource'), broadcastId: r.broadcastId('broadcastId'), at: r.time('at') };
      break;
    case 'broadcastResult':
      exact(r, BROADCAST_RESULT_LENGTH, business);
      d = { business, broadcastId: r.broadcastId('broadcastId'), state: r.u8('state'), at: r.time('at') };
      break;
    case 'playRecords': {
      const n = r.u8('recordCount');
      exact(r, n * PLAY_RECORD_LENGTH, business);
      const records = [];
      for (let i = 0; i < n; i++) {
        records.push({
          broadcastId: r.broadcastId(`records[${i}].broadcastId`),
          startAt: r.time(`records[${i}].startAt`),
          endAt: r.time(`records[${i}].endAt`),
          state: r.u8(`records[${i}].state`),
        });
      }
      d = { business, records };
      break;
    }
  }
  r.end();
  return d;
}

export function encodeReturnFrame(f: ReturnFrame): Buffer {
  const data = encodeData(f.data);
  const length = RESOURCE_FIELD + 2 + RESOURCE_FIELD * f.targets.length + 1 + data.length;
  if (length > MAX_RETURN_LENGTH)
    throw new AdapterCodecError('length', `${length} exceeds the cap ${MAX_RETURN_LENGTH}`);
  const w = new ByteWriter()
    .u16(RETURN_HEAD, 'head')
    .u16(RETURN_VERSION, 'version')
    .u32(f.session, 'session')
    .u8(PACK_TYPES[f.packType], 'packType')
    .u16(length, 'length')
    .resourceCode(f.source, 'source')
    .u16(f.targets.length, 'targetCount');
  f.targets.forEach((t, i) => w.resourceCode(t, `targets[${i}]`));
  const body = w.u8(BUSINESS[f.data.business], 'business').bytes(data).toBuffer();
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32Mpeg2(body));
  return Buffer.concat([body, crc]);
}

/** Decodes one complete 回传 frame (exactly its bytes); throws AdapterCodecError naming the field. */
export function decodeReturnFrame(frame: Buffer): ReturnFrame {
  const r = new ByteReader(frame, 'return');
  const head = r.u16('head');
  if (head !== RETURN_HEAD) throw new AdapterCodecError('return.head', `must be 0xfefd; got 0x${head.toString(16)}`);
  const version = r.u16('version');
  if (version !== RETURN_VERSION)
    throw new AdapterCodecError('return.version', `must be 0x0100; got 0x${version.toString(16)}`);
  const session = r.u32('session');
  const packType = keyOf(PACK_TYPES, r.u8('packType'), 'return.packType');
  const length = r.u16('length');
  if (length > MAX_RETURN_LENGTH)
    throw new AdapterCodecError('return.length', `${length} exceeds the cap ${MAX_RETURN_LENGTH}`);
  const counted = new ByteReader(Buffer.from(r.bytes(length, 'counted')), 'return');
  const crcAt = frame.length - r.remaining;
  const crc = r.u32('crc');
  r.end();
  const computed = crc32Mpeg2(frame, 0, crcAt);
  if (crc !== computed) throw new AdapterCodecError('return.crc', `is 0x${hex32(crc)}, computed 0x${hex32(computed)}`);
  const source = counted.resourceCode('source');
  const n = counted.u16('targetCount');
  const targets: string[] = [];
  for (let i = 0; i < n; i++) targets.push(counted.resourceCode(`targets[${i}]`));
  const business = keyOf(BUSINESS, counted.u8('business'), 'return.business');
  return { packType, session, source, targets, data: decodeData(business, Buffer.from(counted.rest())) };
}
