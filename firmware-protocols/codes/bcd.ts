/**
 * Packed BCD as used on the binary links: a string of n digits is packed two per byte, high nibble first; when n is
 * odd the first nibble is 0xF (docs/domain.md: a 23-digit resource code is 12 bytes, 0xF then 23 digits; a 35-digit
 * broadcast id is 18 bytes). Pure code, no I/O.
 */
import { CodeError } from './area-code';

export function encodeBcd(digits: string, field = 'digits'): Buffer {
  if (!/^\d*$/.test(digits)) throw new CodeError(field, `${field} must contain only decimal digits`);
  const padded = digits.length % 2 === 1 ? `F${digits}` : digits;
  const out = Buffer.alloc(padded.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = padded[2 * i] === 'F' ? 0xf : Number(padded[2 * i]);
    const lo = Number(padded[2 * i + 1]);
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Decodes packed BCD; a leading 0xF nibble is padding. Throws on any other non-decimal nibble. */
export function decodeBcd(bytes: Uint8Array, field = 'digits'): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) {
    const hi = bytes[i] >> 4;
    const lo = bytes[i] & 0xf;
    if (i === 0 && hi === 0xf) {
      // padding nibble of an odd-length number
    } else if (hi > 9) {
      throw new CodeError(field, `${field}: nibble 0x${hi.toString(16)} at byte ${i} is not a BCD digit`);
    } else {
      s += String(hi);
    }
    if (lo > 9) throw new CodeError(field, `${field}: nibble 0x${lo.toString(16)} at byte ${i} is not a BCD digit`);
    s += String(lo);
  }
  return s;
}
