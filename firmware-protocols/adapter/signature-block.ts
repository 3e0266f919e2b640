/**
 * The signature block of a command frame (PROTOCOL.md §2.3): length u16, UTC time u32, certificate serial 6 bytes
 * BCD (12 digits), SM2 signature 64 bytes (r‖s). Length 0 = unsigned (layout.ts). The signature covers every byte of
 * the frame before the 64 signature bytes: head through body, the block's length, time and serial (layout.ts
 * SIGNATURE_COVERS), so the signing time cannot be changed without breaking it. The 74-byte block and the
 * cryptography are firmware-protocols/signing's: its Sm2Signer is a FrameSigner and its Sm2Verifier a FrameVerifier.
 */
import {
  decodeSignatureBlock,
  encodeSignatureBlock as encodeBlock74,
  SIGNATURE_BLOCK_BYTES,
  type SignatureBlock,
} from '../signing/signature-block';
import { SIGNATURE_BYTES } from '../signing/sm2-sm3';
import { AdapterCodecError, ByteReader, ByteWriter } from './bytes';
import { SIGNATURE_BODY_LENGTH } from './layout';

export type { SignatureBlock };

/** Signs the frame's signed range at the time it is given (the caller's clock; whole seconds travel). */
export interface FrameSigner {
  readonly certSerial: string;
  sign(data: Uint8Array, time: Date): SignatureBlock;
}

export interface FrameVerifier {
  /** True when the block's certificate is known and its signature verifies over data. */
  verify(data: Uint8Array, block: SignatureBlock): boolean;
}

/** The adapter's block: u16 length (74, or 0 = unsigned) then firmware-protocols/signing's 74-byte block. */
export function encodeSignatureBlock(block: SignatureBlock | null): Buffer {
  if (block === null) return Buffer.from([0, 0]);
  try {
    return new ByteWriter().u16(SIGNATURE_BODY_LENGTH, 'signature.length').bytes(encodeBlock74(block)).toBuffer();
  } catch (e) {
    throw new AdapterCodecError('signature', e instanceof Error ? e.message : String(e));
  }
}

/** Bytes of the block before the signature itself: length u16 (74), time u32, serial 6 BCD (all signed). */
export function signedBlockHead(time: Date, certSerial: string): Buffer {
  const placeholder = { time, certSerial, signature: Buffer.alloc(SIGNATURE_BYTES) };
  return encodeSignatureBlock(placeholder).subarray(0, 2 + SIGNATURE_BODY_LENGTH - SIGNATURE_BYTES);
}

/** Reads a block at the reader's position; null when the frame is unsigned. */
export function readSignatureBlock(r: ByteReader): SignatureBlock | null {
  const length = r.u16('signature.length');
  if (length === 0) return null;
  if (length !== SIGNATURE_BODY_LENGTH)
    throw new AdapterCodecError('signature.length', `must be 0 or ${SIGNATURE_BODY_LENGTH}; got ${length}`);
  const bytes = r.bytes(SIGNATURE_BLOCK_BYTES, 'signature');
  try {
    const b = decodeSignatureBlock(bytes);
    return { ...b, signature: Buffer.from(b.signature) };
  } catch (e) {
    throw new AdapterCodecError('signature', e instanceof Error ? e.message : String(e));
  }
}

/** Bytes the signature block occupies, given its length field. */
export function signatureBlockSize(lengthField: number): number {
  return 2 + lengthField;
}
