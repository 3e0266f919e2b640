/**
 * The query reply carried by 回传 business type 0x11 (PROTOCOL.md §5.2): a run of TLV items, tag u8, length u16,
 * value (layout.ts TLV_TAGS, our reading). Unknown tags are kept, not refused, so newer adapters still parse.
 */
import { decodeBroadcastId, encodeBroadcastId, FAULTS } from '../codes';
import { AdapterCodecError, ByteReader, ByteWriter } from './bytes';
import { AMPLIFIER, TLV_TAGS } from './layout';
import { decodeText, encodeText } from './text';

export interface QueryReply {
  state?: number;
  volume?: number;
  broadcastId?: string;
  broadcastClass?: number;
  /** Fault codes (firmware-protocols/codes FAULTS.code). */
  faults?: number[];
  /** Volts. */
  supplyVoltage?: number;
  /** °C. */
  temperature?: number;
  signalQuality?: number;
  uptimeSeconds?: number;
  clock?: Date;
  amplifierOn?: boolean;
  taskSource?: number;
  crcErrors?: number;
  refusedCommands?: number;
  vendor?: string;
  model?: string;
  firmware?: string;
  serial?: string;
  unknown?: { tag: number; value: string }[];
}

type Item = [tag: number, value: Buffer];

export function encodeQueryReply(q: QueryReply): Buffer {
  const items: Item[] = [];
  const num = (tag: number, v: number | undefined, f: (w: ByteWriter, v: number) => ByteWriter): void => {
    if (v !== undefined) items.push([tag, f(new ByteWriter(), v).toBuffer()]);
  };
  const str = (tag: number, v: string | undefined): void => {
    if (v !== undefined) items.push([tag, encodeText(v, 'gb18030')]);
  };
  num(TLV_TAGS.state, q.state, (w, v) => w.u8(v, 'state'));
  num(TLV_TAGS.volume, q.volume, (w, v) => w.u8(v, 'volume'));
  if (q.broadcastId !== undefined) items.push([TLV_TAGS.broadcastId, encodeBroadcastId(q.broadcastId)]);
  num(TLV_TAGS.broadcastClass, q.broadcastClass, (w, v) => w.u8(v, 'broadcastClass'));
  if (q.faults !== undefined) {
    q.faults.forEach((c) => {
      if (!FAULTS.some((f) => f.code === c)) throw new AdapterCodecError('faults', `unknown fault code ${c}`);
    });
    items.push([TLV_TAGS.faults, Buffer.from(q.faults)]);
  }
  num(TLV_TAGS.supplyVoltage, q.supplyVoltage, (w, v) => w.u16(Math.round(v * 10), 'supplyVoltage'));
  num(TLV_TAGS.temperature, q.temperature, (w, v) => w.i16(Math.round(v * 10), 'temperature'));
  num(TLV_TAGS.signalQuality, q.signalQuality, (w, v) => w.u8(v, 'signalQuality'));
  num(TLV_TAGS.uptime, q.uptimeSeconds, (w, v) => w.u32(v, 'uptime'));
  if (q.clock !== undefined) items.push([TLV_TAGS.clock, new ByteWriter().time(q.clock, 'clock').toBuffer()]);
  if (q.amplifierOn !== undefined)
    items.push([TLV_TAGS.amplifier, Buffer.from([q.amplifierOn ? AMPLIFIER.on : AMPLIFIER.off])]);
  num(TLV_TAGS.taskSource, q.taskSource, (w, v) => w.u8(v, 'taskSource'));
  num(TLV_TAGS.crcErrors, q.crcErrors, (w, v) => w.u32(v, 'crcErrors'));
  num(TLV_TAGS.refusedCommands, q.refusedCommands, (w, v) => w.u32(v, 'refusedCommands'));
  str(TLV_TAGS.vendor, q.vendor);
  str(TLV_TAGS.model, q.model);
  str(TLV_TAGS.firmware, q.firmware);
  str(TLV_TAGS.serial, q.serial);
  for (const u of q.unknown ?? []) items.push([u.tag, Buffer.from(u.value, 'hex')]);
  const w = new ByteWriter();
  for (const [tag, value] of items)
    w.u8(tag, 'tag')
      .u16(value.length, `tag 0x${tag.toString(16)} length`)
      .bytes(value);
  return w.toBuffer();
}

export function decodeQueryReply(data: Buffer): QueryReply {
  const r = new ByteReader(data, 'queryReply');
  const q: QueryReply = {};
  while (r.remaining > 0) {
    const tag = r.u8('tag');
    const len = r.u16('length');
    const v = new ByteReader(Buffer.from(r.bytes(len, `tag 0x${tag.toString(16)}`)), `tag 0x${tag.toString(16)}`);
    switch (tag) {
      case TLV_TAGS.state:
        q.state = v.u8('state');
        break;
      case TLV_TAGS.volume:
        q.volume = v.u8('volume');
        break;
      case TLV_TAGS.broadcastId:
        q.broadcastId = decodeBroadcastId(v.bytes(18, 'broadcastId'));
        break;
      case TLV_TAGS.broadcastClass:
        q.broadcastClass = v.u8('broadcastClass');
        break;
      case TLV_TAGS.faults:
        q.faults = [...v.rest()];
        break;
      case TLV_TAGS.supplyVoltage:
        q.supplyVoltage = v.u16('supplyVoltage') / 10;
        break;
      case TLV_TAGS.temperature:
        q.temperature = v.i16('temperature') / 10;
        break;
      case TLV_TAGS.signalQuality:
        q.signalQuality = v.u8('signalQuality');
        break;
      case TLV_TAGS.uptime:
        q.uptimeSeconds = v.u32('uptime');
        break;
      case TLV_TAGS.clock:
        q.clock = v.time('clock');
        break;
      case TLV_TAGS.amplifier:
        q.amplifierOn = v.u8('amplifier') === AMPLIFIER.on;
        break;
      case TLV_TAGS.taskSource:
        q.taskSource = v.u8('taskSource');
        break;
      case TLV_TAGS.crcErrors:
        q.crcErrors = v.u32('crcErrors');
        break;
      case TLV_TAGS.refusedCommands:
        q.refusedCommands = v.u32('refusedCommands');
        break;
      case TLV_TAGS.vendor:
        q.vendor = decodeText(v.rest(), 'vendor');
        break;
      case TLV_TAGS.model:
        q.model = decodeText(v.rest(), 'model');
        break;
      case TLV_TAGS.firmware:
        q.firmware = decodeText(v.rest(), 'firmware');
        break;
      case TLV_TAGS.serial:
        q.serial = decodeText(v.rest(), 'serial');
        break;
      default:
        (q.unknown ??= []).push({ tag, value: v.rest().toString('hex') });
    }
    v.end();
  }
  return q;
}
