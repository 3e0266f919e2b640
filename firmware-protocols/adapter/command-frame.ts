/**
 * The command-protocol frame (PROTOCOL.md §2): head (0x49 platform → adapter, 0x50 adapter → platform),
 * version u16 = 1, command u8, source (12-byte resource code), body length u32, body, signature block, CRC-32/MPEG-2.
 * The signature covers every byte before the 64 signature bytes (§2.3); the CRC every byte before itself (§2.4).
 */
import { AdapterCodecError, ByteReader, ByteWriter } from './bytes';
import { crc32Mpeg2 } from './crc32-mpeg2';
import {
  COMMAND_HEADER_LENGTH,
  COMMAND_VERSION,
  HEAD_COMMAND,
  HEAD_REPLY,
  MAX_COMMAND_BODY,
  SIGNED_BLOCK_HEAD,
} from './layout';
import {
  encodeSignatureBlock,
  readSignatureBlock,
  signedBlockHead,
  type FrameSigner,
  type SignatureBlock,
} from './signature-block';

export type Direction = 'command' | 'reply';

export interface CommandFrame {
  direction: Direction;
  version: number;
  code: number;
  /** Resource code of the sender. */
  source: string;
  body: Buffer;
  signature: SignatureBlock | null;
  /** What the signature covers: head through body, then the block's length, time and serial (§2.3). */
  signed: Buffer;
}

export function headOf(direction: Direction): number {
  return direction === 'command' ? HEAD_COMMAND : HEAD_REPLY;
}

/** The frame up to and including its body. */
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

/** A signer and the time to sign at (whole seconds travel; the caller's clock). */
export interface SignAt {
  signer: FrameSigner;
  at: Date;
}

/**
 * Encodes a whole frame: `{ signer, at }` signs it (over head through body, length, time and serial), a given
 * block is placed as is (vectors), null leaves it unsigned (signature length 0).
 */
export function encodeCommandFrame(
  direction: Direction,
  code: number,
  source: string,
  body: Uint8Array,
  signature: SignAt | SignatureBlock | null,
): Buffer {
  const part = encodeSignedPart(direction, code, source, body);
  let block: SignatureBlock | null;
  if (signature === null || !('signer' in signature)) block = signature;
  else {
    const at = new Date(Math.floor(signature.at.getTime() / 1000) * 1000);
    const serial = signature.signer.certSerial;
    block = signature.signer.sign(Buffer.concat([part, signedBlockHead(at, serial)]), at);
    if (block.time.getTime() !== at.getTime() || block.certSerial !== serial)
      throw new AdapterCodecError('signature', 'the signer returned a block for another time or certificate');
  }
  const withSig = Buffer.concat([part, encodeSignatureBlock(block)]);
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
  const signature = readSignatureBlock(r);
  const signedEnd = COMMAND_HEADER_LENGTH + length + (signature === null ? 0 : SIGNED_BLOCK_HEAD);
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
