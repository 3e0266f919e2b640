/**
 * Command block (PROTOCOL.md §4): one FC16 write of 69 registers at 0x0200 — code, sequence, parameters and the SM2
 * signature block. The cryptography is not here: a CommandSigner is handed in (firmware-protocols/signing).
 */
import { CodeError, decodeBroadcastId, decodeBcd, encodeBroadcastId, encodeBcd } from '../codes';
import {
  CODECS,
  COMMAND_CODES,
  COMMAND_LAYOUT,
  REGISTERS,
  type CodecName,
  type CommandCodeName,
  type TerminalSource,
} from './registers';
import { HOLD_OFF_MAX_S, HOLD_OFF_MIN_S } from './held';
import { broadcastHandle, sourceCode, sourceFromCode } from './status';
import { bytesToRegisters, checkRange, expectCount, registersToBytes, TerminalCodecError, timeParts } from './words';

export type CommandRecord =
  | {
      code: 'play';
      source: TerminalSource;
      priority: number;
      broadcastClass: number;
      /** 0 mute, 1–100, 255 keep. */
      volume: number;
      clipId: number;
      sourceParam: number;
      /** 0 = until end time or stop. */
      repeat: number;
      startAt: Date | null;
      endAt: Date | null;
      broadcastId: string | null;
    }
  | { code: 'stop'; priority: number; /** 0 = whatever plays. */ broadcastHandle: number }
  | { code: 'volume'; volume: number }
  | { code: 'amplifier'; on: boolean }
  | { code: 'clock'; at: Date }
  | { code: 'reboot' }
  | { code: 'test-tone'; seconds: number; volume: number }
  /** §4.2 code 8: `checks` is the bitmap of §3.3 (1–15), `testId` 1–65,535. */
  | { code: 'self-test'; testId: number; checks: number }
  | { code: 'prepare-clip'; clipId: number; codec: CodecName; size: number; /** SM3, 64 hex digits. */ digest: string }
  | {
      /** §9.3: announce a held schedule (entries written next, then committed). */
      code: 'hold-schedule';
      tableId: number;
      entryCount: number;
      /** UTC seconds. */
      validFrom: number;
      validUntil: number;
      holdOffSeconds: number;
      /** SM3 of the table bytes, 64 hex digits. */
      digest: string;
    };

/** Same shape as the adapter's signature block (docs/domain.md, "Signatures"). */
export interface CommandSignature {
  time: Date;
  /** 12 digits. */
  certSerial: string;
  /** 64 bytes, r‖s. */
  signature: Uint8Array;
}

/** Signs bytes with SM2-SM3 under one certificate: firmware-protocols/signing's Sm2Signer has this shape. */
export interface CommandSigner {
  readonly certSerial: string;
  /** 64-byte r‖s over data, signed at `time`. */
  sign(data: Uint8Array, time: Date): { signature: Uint8Array };
}

export interface ParsedCommand {
  sequence: number;
  command: CommandRecord;
  /** null when the block is unsigned (time, serial and signature all zero). */
  signature: CommandSignature | null;
  /** Bytes 0–73: what the signature covers. */
  signedBytes: Buffer;
  /** For play and stop: the handle the status block will report (§3.1); 0 none. */
  broadcastHandle: number;
}

function writeParams(p: Buffer, c: CommandRecord): void {
  switch (c.code) {
    case 'play': {
      p[0] = checkRange(sourceCode(c.source), 1, 5, 'play.source');
      p[1] = checkRange(c.priority, 0, 15, 'play.priority');
      p[2] = checkRange(c.broadcastClass, 0, 5, 'play.broadcastClass');
      p[3] = c.volume === 255 ? 255 : checkRange(c.volume, 0, 100, 'play.volume');
      p.writeUInt16BE(checkRange(c.clipId, 0, 0xffff, 'play.clipId'), 4);
      p.writeUInt16BE(checkRange(c.sourceParam, 0, 0xffff, 'play.sourceParam'), 6);
      p.writeUInt16BE(checkRange(c.repeat, 0, 0xffff, 'play.repeat'), 8);
      if (c.startAt !== null) {
        const t = timeParts(c.startAt, 'play.startAt');
        p.writeUInt32BE(t.seconds, 10);
        p.writeUInt16BE(t.ms, 14);
      }
      if (c.endAt !== null) p.writeUInt32BE(timeParts(c.endAt, 'play.endAt').seconds, 16);
      if (c.broadcastId !== null) {
        p.writeUInt32BE(broadcastHandle(c.broadcastId), 20);
        encodeBroadcastId(c.broadcastId).copy(p, 24);
      }
      return;
    }
    case 'stop':
      p[0] = checkRange(c.priority, 0, 15, 'stop.priority');
      p.writeUInt32BE(checkRange(c.broadcastHandle, 0, 0xffffffff, 'stop.broadcastHandle'), 2);
      return;
    case 'volume':
      p[0] = checkRange(c.volume, 0, 100, 'volume.volume');
      return;
    case 'amplifier':
      p[0] = c.on ? 1 : 0;
      return;
    case 'clock': {
      const t = timeParts(c.at, 'clock.at');
      p.writeUInt32BE(t.seconds, 0);
      p.writeUInt16BE(t.ms, 4);
      return;
    }
    case 'reboot':
      return;
    case 'test-tone':
      p.writeUInt16BE(checkRange(c.seconds, 1, 0xffff, 'test-tone.seconds'), 0);
      p[2] = checkRange(c.volume, 0, 100, 'test-tone.volume');
      return;
    case 'self-test':
      p.writeUInt16BE(checkRange(c.testId, 1, 0xffff, 'self-test.testId'), 0);
      p[2] = checkRange(c.checks, 1, 0x0f, 'self-test.checks');
      return;
    case 'prepare-clip': {
      const codec = CODECS.find((k) => k.name === c.codec);
      if (codec === undefined) throw new TerminalCodecError('prepare-clip.codec', `unknown codec "${String(c.codec)}"`);
      if (!/^[0-9a-fA-F]{64}$/.test(c.digest))
        throw new TerminalCodecError('prepare-clip.digest', 'must be 64 hex digits (SM3)');
      p.writeUInt16BE(checkRange(c.clipId, 1, 0xffff, 'prepare-clip.clipId'), 0);
      p.writeUInt16BE(codec.code, 2);
      p.writeUInt32BE(checkRange(c.size, 1, 0xffff * 240, 'prepare-clip.size'), 4);
      Buffer.from(c.digest, 'hex').copy(p, 8);
      return;
    }
    case 'hold-schedule':
      writeHoldSchedule(p, c);
      return;
  }
}

function writeHoldSchedule(p: Buffer, c: Extract<CommandRecord, { code: 'hold-schedule' }>): void {
  if (!/^[0-9a-fA-F]{64}$/.test(c.digest))
    throw new TerminalCodecError('hold-schedule.digest', 'must be 64 hex digits (SM3)');
  p.writeUInt16BE(checkRange(c.tableId, 1, 0xffff, 'hold-schedule.tableId'), 0);
  p.writeUInt16BE(checkRange(c.entryCount, 0, REGISTERS.held.maxEntries, 'hold-schedule.entryCount'), 2);
  p.writeUInt32BE(checkRange(c.validFrom, 1, 0xfffffffe, 'hold-schedule.validFrom'), 4);
  p.writeUInt32BE(checkRange(c.validUntil, c.validFrom + 1, 0xffffffff, 'hold-schedule.validUntil'), 8);
  p.writeUInt16BE(checkRange(c.holdOffSeconds, HOLD_OFF_MIN_S, HOLD_OFF_MAX_S, 'hold-schedule.holdOffSeconds'), 12);
  Buffer.from(c.digest, 'hex').copy(p, 16);
}

function readHoldSchedule(p: Buffer): CommandRecord {
  const validFrom = checkRange(p.readUInt32BE(4), 1, 0xfffffffe, 'hold-schedule.validFrom');
  return {
    code: 'hold-schedule',
    tableId: checkRange(p.readUInt16BE(0), 1, 0xffff, 'hold-schedule.tableId'),
    entryCount: checkRange(p.readUInt16BE(2), 0, REGISTERS.held.maxEntries, 'hold-schedule.entryCount'),
    validFrom,
    validUntil: checkRange(p.readUInt32BE(8), validFrom + 1, 0xffffffff, 'hold-schedule.validUntil'),
    holdOffSeconds: checkRange(p.readUInt16BE(12), HOLD_OFF_MIN_S, HOLD_OFF_MAX_S, 'hold-schedule.holdOffSeconds'),
    digest: p.subarray(16, 48).toString('hex'),
  };
}

/** Seconds at `at` (0 = none) plus milliseconds 0–999 at `msAt` (§4.2). */
function time(p: Buffer, at: number, msAt: number | null, field: string): Date | null {
  const s = p.readUInt32BE(at);
  const ms = msAt === null ? 0 : checkRange(p.readUInt16BE(msAt), 0, 999, `${field}.ms`);
  if (s === 0) return null;
  return new Date(s * 1000 + ms);
}

function readParams(code: number, p: Buffer): CommandRecord {
  switch (code) {
    case COMMAND_CODES.play:
      return {
        code: 'play',
        source: sourceFromCode(checkRange(p[0], 1, 5, 'play.source'), 'play.source'),
        priority: checkRange(p[1], 0, 15, 'play.priority'),
        broadcastClass: checkRange(p[2], 0, 5, 'play.broadcastClass'),
        volume: p[3] === 255 ? 255 : checkRange(p[3], 0, 100, 'play.volume'),
        clipId: p.readUInt16BE(4),
        sourceParam: p.readUInt16BE(6),
        repeat: p.readUInt16BE(8),
        startAt: time(p, 10, 14, 'play.startAt'),
        endAt: time(p, 16, null, 'play.endAt'),
        broadcastId: p.subarray(24, 42).every((b) => b === 0) ? null : decodeBroadcastId(p.subarray(24, 42)),
      };
    case COMMAND_CODES.stop:
      return { code: 'stop', priority: checkRange(p[0], 0, 15, 'stop.priority'), broadcastHandle: p.readUInt32BE(2) };
    case COMMAND_CODES.volume:
      return { code: 'volume', volume: checkRange(p[0], 0, 100, 'volume.volume') };
    case COMMAND_CODES.amplifier:
      return { code: 'amplifier', on: checkRange(p[0], 0, 1, 'amplifier.on') === 1 };
    case COMMAND_CODES.clock: {
      const at = time(p, 0, 4, 'clock.at');
      if (at === null) throw new TerminalCodecError('clock.at', 'must not be 0');
      return { code: 'clock', at };
    }
    case COMMAND_CODES.reboot:
      return { code: 'reboot' };
    case COMMAND_CODES['test-tone']:
      return {
        code: 'test-tone',
        seconds: checkRange(p.readUInt16BE(0), 1, 0xffff, 'test-tone.seconds'),
        volume: checkRange(p[2], 0, 100, 'test-tone.volume'),
      };
    case COMMAND_CODES['self-test']:
      return {
        code: 'self-test',
        testId: checkRange(p.readUInt16BE(0), 1, 0xffff, 'self-test.testId'),
        checks: checkRange(p[2], 1, 0x0f, 'self-test.checks'),
      };
    case COMMAND_CODES['prepare-clip']: {
      const codec = CODECS.find((k) => k.code === p.readUInt16BE(2));
      if (codec === undefined)
        throw new TerminalCodecError('prepare-clip.codec', `unknown codec code ${p.readUInt16BE(2)}`);
      return {
        code: 'prepare-clip',
        clipId: checkRange(p.readUInt16BE(0), 1, 0xffff, 'prepare-clip.clipId'),
        codec: codec.name,
        size: checkRange(p.readUInt32BE(4), 1, 0xffff * 240, 'prepare-clip.size'),
        digest: p.subarray(8, 40).toString('hex'),
      };
    }
    case COMMAND_CODES['hold-schedule']:
      return readHoldSchedule(p);
    default:
      throw new TerminalCodecError('command.code', `unknown command code ${code}`);
  }
}

/** Bytes 0–63: code, sequence, parameters (§4). */
export function encodeCommandBody(sequence: number, command: CommandRecord): Buffer {
  const b = Buffer.alloc(COMMAND_LAYOUT.paramsOffset + COMMAND_LAYOUT.paramsLength);
  b.writeUInt16BE(COMMAND_CODES[command.code satisfies CommandCodeName], 0);
  b.writeUInt32BE(checkRange(sequence, 1, 0xffffffff, 'command.sequence'), 2);
  writeParams(b.subarray(COMMAND_LAYOUT.paramsOffset), command);
  return b;
}

/** Bytes 0–73 that the signature covers: body, signing time, certificate serial (§4). */
export function commandSignedBytes(body: Uint8Array, time: Date, certSerial: string): Buffer {
  if (body.length !== COMMAND_LAYOUT.timeOffset)
    throw new TerminalCodecError('command.body', `must be 64 bytes; got ${body.length}`);
  if (!/^\d{12}$/.test(certSerial))
    throw new TerminalCodecError('signature.certSerial', `must be 12 digits; got "${certSerial}"`);
  const out = Buffer.alloc(COMMAND_LAYOUT.signedLength);
  out.set(body, 0);
  out.writeUInt32BE(timeParts(time, 'signature.time').seconds, COMMAND_LAYOUT.timeOffset);
  encodeBcd(certSerial, 'signature.certSerial').copy(out, COMMAND_LAYOUT.certSerialOffset);
  return out;
}

/**
 * The 69 registers of a command block. `signing` null writes an unsigned block (terminals refuse it: §5.1).
 * Sign once and write the same registers to every terminal (docs/domain.md, "Signatures").
 */
export function buildCommandBlock(
  sequence: number,
  command: CommandRecord,
  signing: { signer: CommandSigner; time: Date } | null,
): number[] {
  const block = Buffer.alloc(COMMAND_LAYOUT.bytes);
  const body = encodeCommandBody(sequence, command);
  if (signing === null) {
    body.copy(block);
  } else {
    const signed = commandSignedBytes(body, signing.time, signing.signer.certSerial);
    const sig = signing.signer.sign(signed, signing.time).signature;
    if (sig.length !== 64) throw new TerminalCodecError('signature.signature', `must be 64 bytes; got ${sig.length}`);
    signed.copy(block);
    block.set(sig, COMMAND_LAYOUT.signatureOffset);
  }
  return bytesToRegisters(block);
}

/** Parses a written command block; throws TerminalCodecError on malformed content (the terminal answers 0x03). */
export function parseCommandBlock(regs: readonly number[]): ParsedCommand {
  try {
    return parseBlock(regs);
  } catch (e) {
    if (e instanceof CodeError) throw new TerminalCodecError(e.field, e.message);
    throw e;
  }
}

function parseBlock(regs: readonly number[]): ParsedCommand {
  expectCount(regs, REGISTERS.command.count, 'command');
  const b = registersToBytes(regs);
  const L = COMMAND_LAYOUT;
  const sequence = b.readUInt32BE(2);
  const command = readParams(b.readUInt16BE(0), b.subarray(L.paramsOffset, L.timeOffset));
  const sigPart = b.subarray(L.timeOffset);
  const signature = sigPart.every((x) => x === 0)
    ? null
    : {
        time: new Date(b.readUInt32BE(L.timeOffset) * 1000),
        certSerial: decodeBcd(b.subarray(L.certSerialOffset, L.signatureOffset), 'signature.certSerial'),
        signature: Uint8Array.from(b.subarray(L.signatureOffset)),
      };
  const handle =
    command.code === 'play'
      ? b.readUInt32BE(L.paramsOffset + 20)
      : command.code === 'stop'
        ? command.broadcastHandle
        : 0;
  return { sequence, command, signature, signedBytes: b.subarray(0, L.signedLength), broadcastHandle: handle };
}
