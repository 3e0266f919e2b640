/**
 * Command bodies, platform → adapter (PROTOCOL.md §3). Encoders for the driver, decoders for the simulator.
 * Field order and widths not given by the standard's facts are marked READING in layout.ts and PROTOCOL.md §3.
 */
import { findEventType } from '../codes';
import { AdapterCodecError, ByteReader, ByteWriter } from './bytes';
import {
  ADDRESSING,
  AMPLIFIER,
  AUX_MEDIA_TYPES,
  BROADCAST_SWITCH,
  COMMANDS,
  EVENT_TYPE_LENGTH,
  INPUT_CHANNELS,
  MAX_RETURN_PERIOD,
  OUTPUT_CHANNEL_MASK,
  RESOURCE_FIELD,
  VOLUME_KEEP,
  WHITELIST_OPS,
  type CommandName,
} from './layout';
import { decodeText, encodeText, textEncodingCode, textEncodingName, type TextEncodingName } from './text';

export type Addressing = keyof typeof ADDRESSING;
/** Logical targets are resource codes (23 or legacy 18 digits); physical targets are 12 bytes as 24 hex digits. */
export interface Targets {
  addressing: Addressing;
  targets: string[];
}
export type AuxMediaType = keyof typeof AUX_MEDIA_TYPES;

export interface BroadcastCommand extends Targets {
  code: 'broadcast';
  broadcastId: string;
  start: boolean;
  broadcastClass: number;
  eventType: string;
  level: number;
  startAt: Date;
  endAt: Date;
  /** 0 mute, 1–100, 0xFF keep. */
  volume: number;
  text: { encoding: TextEncodingName; content: string } | null;
  auxMedia: { type: AuxMediaType; value: string }[];
  inputChannel: number;
  outputChannels: number;
}

export type AdapterCommand =
  | BroadcastCommand
  | { code: 'setResourceCode'; current: string; next: string }
  | ({ code: 'volume'; volume: number } & Targets)
  | { code: 'returnParameters'; ip: string; port: number; platform: string }
  | { code: 'statusQuery'; session: number; target: string }
  | { code: 'clock'; at: Date }
  | { code: 'returnPeriod'; seconds: number }
  | { code: 'whitelist'; op: keyof typeof WHITELIST_OPS; numbers: string[] }
  | ({ code: 'amplifier'; on: boolean } & Targets);

function writeTargets(w: ByteWriter, t: Targets): void {
  if (t.targets.length === 0) throw new AdapterCodecError('targetCount', 'a command names at least one target');
  w.u8(ADDRESSING[t.addressing], 'addressing').u16(t.targets.length, 'targetCount');
  t.targets.forEach((target, i) => {
    if (t.addressing === 'logical') w.resourceCode(target, `targets[${i}]`);
    else if (/^[0-9a-fA-F]{24}$/.test(target)) w.bytes(Buffer.from(target, 'hex'));
    else throw new AdapterCodecError(`targets[${i}]`, `a physical address is 24 hex digits; got "${target}"`);
  });
}

function readTargets(r: ByteReader): Targets {
  const a = r.u8('addressing');
  const addressing = keyOf(ADDRESSING, a, 'addressing');
  const n = r.u16('targetCount');
  if (n === 0) throw new AdapterCodecError('targetCount', 'a command names at least one target');
  const targets: string[] = [];
  for (let i = 0; i < n; i++) {
    targets.push(
      addressing === 'logical'
        ? r.resourceCode(`targets[${i}]`)
        : r.bytes(RESOURCE_FIELD, `targets[${i}]`).toString('hex'),
    );
  }
  return { addressing, targets };
}

export function keyOf<T extends Record<string, number>>(table: T, value: number, field: string): keyof T & string {
  const k = Object.keys(table).find((key) => table[key] === value);
  if (k === undefined) throw new AdapterCodecError(field, `unknown value ${value}`);
  return k;
}

/** 回传 period, seconds (PROTOCOL.md §3): 1 s to one day. */
function checkPeriod(s: number): void {
  if (!(Number.isInteger(s) && s >= 1 && s <= MAX_RETURN_PERIOD))
    throw new AdapterCodecError('seconds', `must be 1–${MAX_RETURN_PERIOD}; got ${s}`);
}

/** A whitelist entry: an optional + then 1–20 ASCII digits. */
function checkPhone(n: string, i: number): string {
  if (!/^\+?\d{1,20}$/.test(n)) throw new AdapterCodecError(`numbers[${i}]`, `must be a phone number; got "${n}"`);
  return n;
}

function checkVolume(v: number): void {
  if (!(Number.isInteger(v) && ((v >= 0 && v <= 100) || v === VOLUME_KEEP))) {
    throw new AdapterCodecError('volume', `must be 0 (mute), 1–100 or 0xFF (keep); got ${v}`);
  }
}

/** The value rules of a 0x04 body both sides apply (PROTOCOL.md §3.1); a breach is result badParameter. */
function checkBroadcast(c: BroadcastCommand): void {
  checkVolume(c.volume);
  if (!/^[0-9A-Z]{5}$/.test(c.eventType))
    throw new AdapterCodecError('eventType', `must be 5 characters 0–9 A–Z; got "${c.eventType}"`);
  if (!(Number.isInteger(c.level) && c.level >= 0 && c.level <= 4))
    throw new AdapterCodecError('level', `must be 0–4; got ${c.level}`);
  if (!(Number.isInteger(c.broadcastClass) && c.broadcastClass >= 1 && c.broadcastClass <= 5))
    throw new AdapterCodecError('broadcastClass', `must be 1–5; got ${c.broadcastClass}`);
  if (!Object.values(INPUT_CHANNELS).includes(c.inputChannel as never))
    throw new AdapterCodecError('inputChannel', `must be 1–5; got ${c.inputChannel}`);
  if (c.start && (c.outputChannels & OUTPUT_CHANNEL_MASK) === 0)
    throw new AdapterCodecError('outputChannels', `a start needs bit 0 or bit 1; got ${c.outputChannels}`);
  if (c.start && c.endAt.getTime() <= c.startAt.getTime())
    throw new AdapterCodecError('endAt', 'must be later than startAt');
}

function encodeBroadcast(c: BroadcastCommand): Buffer {
  checkBroadcast(c);
  if (findEventType(c.eventType) === undefined)
    throw new AdapterCodecError('eventType', `"${c.eventType}" is not in the event type table`);
  const w = new ByteWriter()
    .broadcastId(c.broadcastId)
    .u8(c.start ? BROADCAST_SWITCH.start : BROADCAST_SWITCH.stop, 'switch')
    .u8(c.broadcastClass, 'broadcastClass')
    .bytes(Buffer.from(c.eventType, 'ascii'))
    .u8(c.level, 'level')
    .time(c.startAt, 'startAt')
    .time(c.endAt, 'endAt')
    .u8(c.volume, 'volume');
  writeTargets(w, c);
  if (c.text === null) w.u8(0, 'textEncoding').u16(0, 'textLength');
  else {
    const t = encodeText(c.text.content, c.text.encoding);
    w.u8(textEncodingCode(c.text.encoding), 'textEncoding').u16(t.length, 'textLength').bytes(t);
  }
  w.u8(c.auxMedia.length, 'auxCount');
  c.auxMedia.forEach((m, i) => {
    const v = encodeText(m.value, 'gb18030', `auxMedia[${i}]`);
    w.u8(AUX_MEDIA_TYPES[m.type], `auxMedia[${i}].type`).u16(v.length, `auxMedia[${i}].length`).bytes(v);
  });
  return w.u8(c.inputChannel, 'inputChannel').u8(c.outputChannels, 'outputChannels').toBuffer();
}

function decodeBroadcast(r: ByteReader): BroadcastCommand {
  const broadcastId = r.broadcastId('broadcastId');
  const sw = r.u8('switch');
  if (sw !== BROADCAST_SWITCH.start && sw !== BROADCAST_SWITCH.stop)
    throw new AdapterCodecError('switch', `must be 0 or 1; got ${sw}`);
  const broadcastClass = r.u8('broadcastClass');
  const eventType = r.bytes(EVENT_TYPE_LENGTH, 'eventType').toString('latin1');
  const level = r.u8('level');
  const startAt = r.time('startAt');
  const endAt = r.time('endAt');
  const volume = r.u8('volume');
  const targets = readTargets(r);
  const encoding = textEncodingName(r.u8('textEncoding'));
  const textBytes = r.bytes(r.u16('textLength'), 'text');
  if (encoding === null && textBytes.length > 0)
    throw new AdapterCodecError('textLength', 'must be 0 when the text encoding is 0 (none)');
  const text = encoding === null ? null : { encoding, content: decodeText(textBytes) };
  const auxMedia: BroadcastCommand['auxMedia'] = [];
  const auxCount = r.u8('auxCount');
  for (let i = 0; i < auxCount; i++) {
    const type = keyOf(AUX_MEDIA_TYPES, r.u8(`auxMedia[${i}].type`), `auxMedia[${i}].type`);
    auxMedia.push({ type, value: decodeText(r.bytes(r.u16(`auxMedia[${i}].length`), `auxMedia[${i}]`)) });
  }
  const inputChannel = r.u8('inputChannel');
  const outputChannels = r.u8('outputChannels');
  const c: BroadcastCommand = {
    code: 'broadcast',
    broadcastId,
    start: sw === BROADCAST_SWITCH.start,
    broadcastClass,
    eventType,
    level,
    startAt,
    endAt,
    volume,
    ...targets,
    text,
    auxMedia,
    inputChannel,
    outputChannels,
  };
  checkBroadcast(c);
  return c;
}

/** The command code and body of a command (PROTOCOL.md §3). */
export function encodeCommandBody(c: AdapterCommand): { code: number; body: Buffer } {
  return { code: COMMANDS[c.code], body: encodeBody(c) };
}

function encodeBody(c: AdapterCommand): Buffer {
  const w = new ByteWriter();
  switch (c.code) {
    case 'broadcast':
      return encodeBroadcast(c);
    case 'setResourceCode':
      return w.resourceCode(c.current, 'current').resourceCode(c.next, 'next').toBuffer();
    case 'volume':
      checkVolume(c.volume);
      w.u8(c.volume, 'volume');
      writeTargets(w, c);
      return w.toBuffer();
    case 'returnParameters': {
      const ip = c.ip.split('.').map(Number);
      if (ip.length !== 4 || ip.some((o) => !Number.isInteger(o) || o < 0 || o > 255))
        throw new AdapterCodecError('ip', `must be an IPv4 address; got "${c.ip}"`);
      return w.bytes(Buffer.from(ip)).u16(c.port, 'port').resourceCode(c.platform, 'platform').toBuffer();
    }
    case 'statusQuery':
      return w.u32(c.session, 'session').resourceCode(c.target, 'target').toBuffer();
    case 'clock':
      return w.time(c.at, 'at').toBuffer();
    case 'returnPeriod':
      checkPeriod(c.seconds);
      return w.u32(c.seconds, 'seconds').toBuffer();
    case 'whitelist':
      w.u8(WHITELIST_OPS[c.op], 'op').u16(c.numbers.length, 'count');
      c.numbers.forEach((n, i) => {
        checkPhone(n, i);
        w.u8(n.length, `numbers[${i}].length`).bytes(Buffer.from(n, 'ascii'));
      });
      return w.toBuffer();
    case 'amplifier':
      w.u8(c.on ? AMPLIFIER.on : AMPLIFIER.off, 'amplifier');
      writeTargets(w, c);
      return w.toBuffer();
  }
}

/** Decodes a command body (the simulator's side). Throws AdapterCodecError naming the field. */
export function decodeCommandBody(code: number, body: Buffer): AdapterCommand {
  const name: CommandName = keyOf(COMMANDS, code, 'command');
  const r = new ByteReader(body, name);
  const c = decodeNamed(name, r);
  r.end();
  return c;
}

function decodeNamed(name: CommandName, r: ByteReader): AdapterCommand {
  switch (name) {
    case 'broadcast':
      return decodeBroadcast(r);
    case 'setResourceCode':
      return { code: name, current: r.resourceCode('current'), next: r.resourceCode('next') };
    case 'volume': {
      const volume = r.u8('volume');
      checkVolume(volume);
      return { code: name, volume, ...readTargets(r) };
    }
    case 'returnParameters':
      return {
        code: name,
        ip: [...r.bytes(4, 'ip')].join('.'),
        port: r.u16('port'),
        platform: r.resourceCode('platform'),
      };
    case 'statusQuery':
      return { code: name, session: r.u32('session'), target: r.resourceCode('target') };
    case 'clock':
      return { code: name, at: r.time('at') };
    case 'returnPeriod': {
      const seconds = r.u32('seconds');
      checkPeriod(seconds);
      return { code: name, seconds };
    }
    case 'whitelist': {
      const op = keyOf(WHITELIST_OPS, r.u8('op'), 'op');
      const n = r.u16('count');
      const numbers: string[] = [];
      for (let i = 0; i < n; i++)
        numbers.push(checkPhone(r.bytes(r.u8(`numbers[${i}].length`), `numbers[${i}]`).toString('latin1'), i));
      return { code: name, op, numbers };
    }
    case 'amplifier': {
      const a = r.u8('amplifier');
      if (a !== AMPLIFIER.on && a !== AMPLIFIER.off)
        throw new AdapterCodecError('amplifier', `must be 1 (off) or 2 (on); got ${a}`);
      return { code: name, on: a === AMPLIFIER.on, ...readTargets(r) };
    }
  }
}
