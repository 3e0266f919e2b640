/**
 * The signature block both signed links carry (firmware-protocols/terminal-modbus/PROTOCOL.md §4 for terminal commands, firmware-protocols/adapter/PROTOCOL.md §2.3 for adapter frames): UTC signing time
 * u32 (seconds) ‖ certificate serial 6 bytes BCD (12 digits) ‖ SM2 signature 64 bytes r‖s = 74 bytes. The adapter
 * link puts a u16 length (74, or 0 for unsigned) in front (firmware-protocols/adapter/signature-block.ts); the
 * terminal command block places the same 74 bytes after its parameters.
 */
import { decodeBcd, encodeBcd } from '../codes';
import { SIGNATURE_BYTES, SigningError } from './sm2-sm3';

export const SIGNATURE_BLOCK_BYTES = 4 + 6 + SIGNATURE_BYTES;

export interface SignatureBlock {
  /** Whole UTC seconds. */
  time: Date;
  /** 12 decimal digits. */
  certSerial: string;
  /** 64 bytes, r‖s. */
  signature: Uint8Array;
}

export function checkCertSerial(serial: string, field = 'certSerial'): string {
  if (!/^\d{12}$/.test(serial)) throw new SigningError(field, `must be 12 digits; got "${serial}"`);
  return serial;
}

export function encodeSignatureBlock(block: SignatureBlock): Buffer {
  const seconds = Math.floor(block.time.getTime() / 1000);
  if (!(seconds >= 0 && seconds <= 0xffffffff))
    throw new SigningError('time', `must fit u32 seconds since 1970; got ${block.time.toISOString()}`);
  if (block.signature.length !== SIGNATURE_BYTES)
    throw new SigningError('signature', `must be ${SIGNATURE_BYTES} bytes; got ${block.signature.length}`);
  const out = Buffer.alloc(SIGNATURE_BLOCK_BYTES);
  out.writeUInt32BE(seconds, 0);
  encodeBcd(checkCertSerial(block.certSerial), 'certSerial').copy(out, 4);
  Buffer.from(block.signature).copy(out, 10);
  return out;
}

export function decodeSignatureBlock(bytes: Uint8Array): SignatureBlock {
  if (bytes.length !== SIGNATURE_BLOCK_BYTES)
    throw new SigningError('signatureBlock', `must be ${SIGNATURE_BLOCK_BYTES} bytes; got ${bytes.length}`);
  const b = Buffer.from(bytes);
  let certSerial: string;
  try {
    certSerial = decodeBcd(b.subarray(4, 10), 'certSerial');
  } catch (e) {
    throw new SigningError('certSerial', e instanceof Error ? e.message : String(e));
  }
  return { time: new Date(b.readUInt32BE(0) * 1000), certSerial, signature: b.subarray(10, 74) };
}
