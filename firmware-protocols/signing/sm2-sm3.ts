/**
 * SM2 signatures over SM3 with the standard's default user id "1234567812345678" (GB/T 32918.2, GM/T 0009; docs/domain.md
 * "Signatures"), through sm-crypto-v2 (pure JS on @noble/curves): node's own SM2 does not apply the default user id,
 * openssl rejects its signatures (measured). Signatures travel as 64 bytes r‖s (32 bytes each, big-endian);
 * keys as hex: private 32 bytes, public uncompressed 04‖x‖y (65 bytes).
 */
import { sm2, sm3 } from 'sm-crypto-v2';

export const DEFAULT_USER_ID = '1234567812345678';
export const SIGNATURE_BYTES = 64;

export class SigningError extends Error {
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super(`signing ${field}: ${detail}`);
    this.name = 'SigningError';
  }
}

export interface Sm2KeyPair {
  /** 64 hex digits. */
  privateKey: string;
  /** 130 hex digits, 04‖x‖y. */
  publicKey: string;
}

export function generateKeyPair(): Sm2KeyPair {
  const k = sm2.generateKeyPairHex();
  return { privateKey: k.privateKey, publicKey: publicKeyOf(k.privateKey) };
}

/** The uncompressed public key of a private key. */
export function publicKeyOf(privateKey: string): string {
  checkHex(privateKey, 64, 'privateKey');
  return sm2.getPublicKeyFromPrivateKey(privateKey);
}

/** SM2-SM3 signature of data (Z-value with userId, then SM3, then SM2), 64 bytes r‖s. */
export function sign(data: Uint8Array, privateKey: string, userId = DEFAULT_USER_ID): Uint8Array {
  checkHex(privateKey, 64, 'privateKey');
  const hex = sm2.doSignature(data, privateKey, { hash: true, der: false, userId, publicKey: publicKeyOf(privateKey) });
  const out = Buffer.from(hex.padStart(128, '0'), 'hex');
  if (out.length !== SIGNATURE_BYTES)
    throw new SigningError('signature', `expected ${SIGNATURE_BYTES} bytes; got ${out.length}`);
  return out;
}

/** True when signature (64 bytes r‖s) verifies over data under publicKey; false for any malformed input. */
export function verify(data: Uint8Array, signature: Uint8Array, publicKey: string, userId = DEFAULT_USER_ID): boolean {
  if (signature.length !== SIGNATURE_BYTES || !/^04[0-9a-fA-F]{128}$/.test(publicKey)) return false;
  try {
    return sm2.doVerifySignature(data, Buffer.from(signature).toString('hex'), publicKey, {
      hash: true,
      der: false,
      userId,
    });
  } catch {
    return false;
  }
}

/** SM3 digest, 64 hex digits (clip digests). */
export function sm3Hex(data: Uint8Array): string {
  return sm3(data);
}

function checkHex(value: string, digits: number, field: string): void {
  if (!new RegExp(`^[0-9a-fA-F]{${digits}}$`).test(value))
    throw new SigningError(field, `must be ${digits} hex digits`);
}
