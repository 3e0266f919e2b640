/**
 * The signature block of a command frame (PROTOCOL.md §2.3): length u16, UTC time u32, certificate serial 6 bytes
 * BCD (12 digits), SM2 signature 64 bytes (r‖s). Length 0 = unsigned (layout.ts). The cryptography itself is not
 * here: a FrameSigner / FrameVerifier is handed in (firmware-protocols/signing provides SM2-SM3 ones).
 */
import { decodeBcd, encodeBcd } from '../codes';
import { AdapterCodecError, ByteReader, ByteWriter } from './bytes';
import { SIGNATURE_BODY_LENGTH } from './layout';

export interface SignatureBlock {
  time: Date;
  /** 12 decimal digits. */
  certSerial: string;
  /** 64 bytes, r‖s. */
  signature: Uint8Array;
}

/** Signs the frame's signed range (head through body) at a time it chooses. */
export interface FrameSigner {
  sign(data: Uint8Array): SignatureBlock;
}

export interface FrameVerifier {
  /** True when the block's certificate is known and its signature verifies over data. */
  verify(data: Uint8Array, block: SignatureBlock): boolean;
}

export function encodeSignatureBlock(block: SignatureBlock | null): Buffer {
  if (block === null) return Buffer.from([0, 0]);
  if (!/^\d{12}$/.test(block.certSerial)) throw new AdapterCodecError('signature.certSerial', `must be 12 digits; got "${block.certSerial}"`);
  return new ByteWriter()
    .u16(SIGNATURE_BODY_LENGTH, 'signature.length')
    .time(block.time, 'signature.time')
    .bytes(encodeBcd(block.certSerial, 'signature.certSerial'))
    .fixed(block.signature, 64, 'signature.signature')
    .toBuffer();
}

/** Reads a block at the reader's position; null when the frame is unsigned. */
export function readSignatureBlock(r: ByteReader): SignatureBlock | null {
  const length = r.u16('signature.length');
  if (length === 0) return null;
  if (length !== SIGNATURE_BODY_LENGTH) throw new AdapterCodecError('signature.length', `must be 0 or ${SIGNATURE_BODY_LENGTH}; got ${length}`);
  const time = r.time('signature.time');
  let certSerial: string;
  try {
    certSerial = decodeBcd(r.bytes(6, 'signature.certSerial'), 'signature.certSerial');
  } catch (e) {
    throw new AdapterCodecError('signature.certSerial', e instanceof Error ? e.message : String(e));
  }
  return { time, certSerial, signature: Buffer.from(r.bytes(64, 'signature.signature')) };
}

/** Bytes the signature block occupies, given its length field. */
export function signatureBlockSize(lengthField: number): number {
  return 2 + lengthField;
}
