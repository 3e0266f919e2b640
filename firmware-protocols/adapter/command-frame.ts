/**
 * The command-protocol frame (PROTOCOL.md §2.1): head (0x49 platform → adapter, 0x50 adapter → platform),
 * version u16 = 1, command u8, source (12-byte resource code), body length u32, body, signature block, CRC-32/MPEG-2.
 */
import { AdapterCodecError, ByteReader, ByteWriter } from './bytes';
import { crc32Mpeg2 } from './crc32-mpeg2';
import { COMMAND_HEADER_LENGTH, COMMAND_VERSION, HEAD_COMMAND, HEAD_REPLY, MAX_COMMAND_BODY } from './layout';
import { encodeSignatureBlock, readSignatureBlock, type FrameSigner, type SignatureBlock } from './signature-block';

export type Direction = 'command' | 'reply';

export interface CommandFrame {
  direction: Direction;
  version: number;
  code: number;
  /** Resource code of the sender. */
  source: string;
  body: Buffer;
  signature: SignatureBlock | null;
  /** Head through body: what the signature covers. */
  signed: Buffer;
}

export function headOf(direction: Direction): number {
  return direction === 'command' ? HEAD_COMMAND : HEAD_REPLY;
}

/** The frame up to and including its body (the signed range). */
export function encodeSignedPart(direction: Direction, code: number, source: string, body: Uint8Array): Buffer {
  if (body.length > MAX_COMMAND_BODY)
    throw new AdapterCodecError('body', `is ${body.length} bytes; the cap is ${MAX_COMMAND_BODY}`);
  return new ByteWriter()
    .u8(headOf(direction), 'head')
    .u16(COMMAND_VERSION, 'version')
    .u8(code, 'command')
    .resourceCode(source, 'source')
    .u32(body.length, 'length')
    .bytes(body)
    .toBuffer();
}

/** Encodes a whole frame; a signer signs it, a given block is used as is, null leaves it unsigned. */
export function encodeCommandFrame(
  direction: Direction,
  code: number,
  source: string,
  body: Uint8Array,
  signature: FrameSigner | SignatureBlock | null,
): Buffer {
  const signed = encodeSignedPart(direction, code, source, body);
  const block = signature === null ? null : 'sign' in signature ? signature.sign(signed) : signature;
  const withSig = Buffer.concat([signed, encodeSignatureBlock(block)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32Mpeg2(withSig));
  return Buffer.concat([withSig, crc]);
}

/** Decodes one complete frame (exactly its bytes). Throws AdapterCodecError naming the field that is wrong. */
export function decodeCommandFrame(frame: Buffer): CommandFrame {
  const r = new ByteReader(frame, 'frame');
  const head = r.u8('head');
  if (head !== HEAD_COMMAND && head !== HEAD_REPLY)
    throw new AdapterCodecError('frame.head', `0x${head.toString(16)} is neither 0x49 nor 0x50`);
  const version = r.u16('version');
  if (version !== COMMAND_VERSION)
    throw new AdapterCodecError('frame.version', `must be ${COMMAND_VERSION}; got ${version}`);
  const code = r.u8('command');
  const source = r.resourceCode('source');
  const length = r.u32('length');
  if (length > MAX_COMMAND_BODY)
    throw new AdapterCodecError('frame.length', `${length} exceeds the cap ${MAX_COMMAND_BODY}`);
  const body = Buffer.from(r.bytes(length, 'body'));
  const signedEnd = COMMAND_HEADER_LENGTH + length;
  const signature = readSignatureBlock(r);
  const crcAt = frame.length - r.remaining;
  const crc = r.u32('crc');
  r.end();
  const computed = crc32Mpeg2(frame, 0, crcAt);
  if (crc !== computed) throw new AdapterCodecError('frame.crc', `is 0x${hex32(crc)}, computed 0x${hex32(computed)}`);
  return {
    direction: head === HEAD_COMMAND ? 'command' : 'reply',
    version,
    code,
    source,
    body,
    signature,
    signed: frame.subarray(0, signedEnd),
  };
}

export function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}
