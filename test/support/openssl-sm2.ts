/**
 * SM2-SM3 signatures checked by an independent implementation: the openssl CLI (OpenSSL 3, SM2 with distid). Our
 * signatures travel as 64 bytes r‖s; openssl speaks DER and PEM.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_USER_ID } from '../../firmware-protocols/signing';

/** SubjectPublicKeyInfo of an SM2 key: id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301. */
const SPKI_PREFIX = '3059301306072a8648ce3d020106082a811ccf5501822d034200';

function derInteger(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = (b[i] & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), b.subarray(i)]) : b.subarray(i);
  return Buffer.concat([Buffer.from([0x02, v.length]), v]);
}

export function toDer(rs: Uint8Array): Buffer {
  const b = Buffer.from(rs);
  const body = Buffer.concat([derInteger(b.subarray(0, 32)), derInteger(b.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

export function fromDer(der: Buffer): Buffer {
  const ints: Buffer[] = [];
  let at = 2;
  for (let k = 0; k < 2; k++) {
    const len = der[at + 1];
    ints.push(der.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  return Buffer.concat(ints.map((v) => Buffer.concat([Buffer.alloc(32), v]).subarray(-32)));
}

export const openssl = (...args: string[]): string =>
  execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** Whether `openssl pkeyutl -verify -digest sm3 -pkeyopt distid:1234567812345678` accepts the signature (files in `dir`). */
export function opensslVerifies(dir: string, data: Buffer, signature: Uint8Array, publicKey: string): boolean {
  const spki = Buffer.from(SPKI_PREFIX + publicKey, 'hex');
  const pem = `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----\n`;
  writeFileSync(join(dir, 'pub.pem'), pem);
  writeFileSync(join(dir, 'data.bin'), data);
  writeFileSync(join(dir, 'sig.der'), toDer(signature));
  try {
    return openssl(
      'pkeyutl',
      '-verify',
      '-pubin',
      '-inkey',
      join(dir, 'pub.pem'),
      '-rawin',
      '-digest',
      'sm3',
      '-pkeyopt',
      `distid:${DEFAULT_USER_ID}`,
      '-in',
      join(dir, 'data.bin'),
      '-sigfile',
      join(dir, 'sig.der'),
    ).includes('Signature Verified Successfully');
  } catch {
    return false;
  }
}
