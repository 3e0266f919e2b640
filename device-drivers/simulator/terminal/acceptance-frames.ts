/**
 * Frames and command blocks for the acceptance vectors of terminal-modbus PROTOCOL.md §8 (acceptance-vectors.ts).
 */
import { sign } from '../../../firmware-protocols/signing';
import {
  buildCommandBlock,
  commandSignedBytes,
  COMMAND_LAYOUT,
  REGISTERS,
  type CommandRecord,
  type IdentityRecord,
  type StatusRecord,
} from '../../../firmware-protocols/terminal-modbus';
import { bytesToRegisters, registersToBytes } from '../../../firmware-protocols/terminal-modbus/words';
import { composeBroadcastId } from '../../../firmware-protocols/codes';
import { sealRtu } from '../../modbus-crc';

/** The GM/T 0003.5 example key pair (firmware-protocols/signing/vectors/sm2-sm3.json): a test key, nothing else. */
export const KEY = {
  privateKey: '3945208f7b2144b13f36e38ac6d39f95889393692860b51a42fb81ef4df7c5b8',
  publicKey:
    '0409f9df311e5421a150dd7d161e4bc5c672179fad1833fc076bb08ff356f35020ccea490ce26775a52dc6ea718cc1aa600aed05fbf35e084a6632f6072da9ad13',
};
export const SERIAL = '202400000017';
export const START = Date.UTC(2024, 9, 23, 2, 0, 0);
export const T0 = START / 1000;
export const ID = composeBroadcastId('43415230000000101010101', new Date(START), 1);

export const IDENTITY: Omit<IdentityRecord, 'mapVersion'> = {
  vendor: 'Dalaba Sim',
  model: 'DLB-T300',
  firmware: '1.0.0',
  serial: 'SN001',
  resourceCode: '63415231002000301010401',
  codecs: ['opus-16k'],
  clipStorageKb: 4096,
  sources: ['stored', 'fm', 'line-in', 'tone'],
  display: false,
};

export interface TerminalSetup {
  supplyVoltage?: number | null;
  temperature?: number | null;
  signalQuality?: number | null;
  clockKnown?: boolean;
}

export interface Step {
  note: string;
  at?: number;
  request: Buffer;
  reply: Buffer | null;
  status?: Partial<StatusRecord>;
}

export interface Case {
  name: string;
  settles: string;
  terminal?: TerminalSetup;
  steps: Step[];
}

// ---- frames -------------------------------------------------------------------------------------------------------

export const pdu = (...bytes: number[]): Buffer => Buffer.from(bytes);
export const u16 = (v: number): number[] => [v >> 8, v & 0xff];
export const read = (address: number, count: number, unit = 1): Buffer =>
  sealRtu(unit, pdu(3, ...u16(address), ...u16(count)));
export const write = (address: number, regs: number[], unit = 1): Buffer =>
  sealRtu(
    unit,
    Buffer.concat([pdu(0x10, ...u16(address), ...u16(regs.length), regs.length * 2), registersToBytes(regs)]),
  );
export const exception = (fc: number, code: number, unit = 1): Buffer => sealRtu(unit, pdu(fc | 0x80, code));
export const written = (address: number, count: number, unit = 1): Buffer =>
  sealRtu(unit, pdu(0x10, ...u16(address), ...u16(count)));
export const values = (regs: number[], unit = 1): Buffer =>
  sealRtu(unit, Buffer.concat([pdu(3, regs.length * 2), registersToBytes(regs)]));

export const CMD = REGISTERS.command;
export const ACCEPTED = written(CMD.address, CMD.count);
export const refused = (code: number): Buffer => exception(0x10, code);
export const command = (regs: number[], unit = 1): Buffer => write(CMD.address, regs, unit);

type Signing = 'trusted' | 'unsigned' | { serial?: string; time?: number; signature?: 'zero' };

/**
 * A command block: built by the codec, its body bytes 0–63 patched where a case needs a value the codec would never
 * write (`patch`), then signed over bytes 0–73 (or not), then changed after signing (`tamper`).
 */
export function block(
  seq: number,
  c: CommandRecord,
  opts: { patch?: (b: Buffer) => void; signing?: Signing; tamper?: (b: Buffer) => void } = {},
): number[] {
  const bytes = registersToBytes(buildCommandBlock(Math.max(seq, 1), c, null));
  bytes.writeUInt32BE(seq, 2);
  opts.patch?.(bytes);
  const signing = opts.signing ?? 'trusted';
  if (signing === 'unsigned') return bytesToRegisters(bytes);
  const how = signing === 'trusted' ? {} : signing;
  const time = new Date((how.time ?? T0) * 1000);
  const signed = commandSignedBytes(bytes.subarray(0, COMMAND_LAYOUT.timeOffset), time, how.serial ?? SERIAL);
  const out = Buffer.alloc(COMMAND_LAYOUT.bytes);
  signed.copy(out);
  if (how.signature !== 'zero') out.set(sign(signed, KEY.privateKey), COMMAND_LAYOUT.signatureOffset);
  opts.tamper?.(out);
  return bytesToRegisters(out);
}

/** The parameter bytes start at byte 8 of the block. */
export const param = (offset: number, value: number) => (b: Buffer) => {
  b[COMMAND_LAYOUT.paramsOffset + offset] = value;
};

export const play = (
  priority: number,
  extra: Partial<Extract<CommandRecord, { code: 'play' }>> = {},
): CommandRecord => ({
  code: 'play',
  source: 'fm',
  priority,
  broadcastClass: 4,
  volume: 80,
  clipId: 0,
  sourceParam: 9860,
  repeat: 0,
  startAt: null,
  endAt: null,
  broadcastId: ID,
  ...extra,
});
export const stop = (priority: number, broadcastHandle = 0): CommandRecord => ({
  code: 'stop',
  priority,
  broadcastHandle,
});
export const tone = (seconds: number, volume = 50): CommandRecord => ({ code: 'test-tone', seconds, volume });
export const IDLE = {
  state: 1,
  priority: 15,
  source: 'none',
  broadcastClass: 0,
  clipId: 0,
  broadcastHandle: 0,
} as const;

export const u32 = (v: number): number[] => [Math.floor(v / 0x10000), v % 0x10000];
