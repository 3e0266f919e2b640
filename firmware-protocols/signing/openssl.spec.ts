/** Signatures checked by an independent implementation: the openssl CLI (OpenSSL 3, SM2 with distid). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWith } from '../../test/support/capabilities';
import vectors from './vectors/sm2-sm3.json';
import { DEFAULT_USER_ID, generateKeyPair, sign, verify } from '.';

/** SubjectPublicKeyInfo of an SM2 key: id-ecPublicKey with the SM2 curve OID 1.2.156.10197.1.301. */
const SPKI_PREFIX = '3059301306072a8648ce3d020106082a811ccf5501822d034200';

function derInteger(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = (b[i] & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), b.subarray(i)]) : b.subarray(i);
  return Buffer.concat([Buffer.from([0x02, v.length]), v]);
}

function toDer(rs: Uint8Array): Buffer {
  const b = Buffer.from(rs);
  const body = Buffer.concat([derInteger(b.subarray(0, 32)), derInteger(b.subarray(32))]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function fromDer(der: Buffer): Buffer {
  const ints: Buffer[] = [];
  let at = 2;
  for (let k = 0; k < 2; k++) {
    const len = der[at + 1];
    ints.push(der.subarray(at + 2, at + 2 + len));
    at += 2 + len;
  }
  return Buffer.concat(ints.map((v) => Buffer.concat([Buffer.alloc(32), v]).subarray(-32)));
}

describeWith(['openssl'], 'SM2-SM3 signatures against the openssl CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dalaba-sm2-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const openssl = (...args: string[]): string => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

  function opensslVerifies(data: Buffer, signature: Uint8Array, publicKey: string): boolean {
    const spki = Buffer.from(SPKI_PREFIX + publicKey, 'hex');
    const pem = `-----BEGIN PUBLIC KEY-----\n${spki.toString('base64')}\n-----END PUBLIC KEY-----\n`;
    writeFileSync(join(dir, 'pub.pem'), pem);
    writeFileSync(join(dir, 'data.bin'), data);
    writeFileSync(join(dir, 'sig.der'), toDer(signature));
    try {
      return openssl('pkeyutl', '-verify', '-pubin', '-inkey', join(dir, 'pub.pem'), '-rawin', '-digest', 'sm3', '-pkeyopt', `distid:${DEFAULT_USER_ID}`, '-in', join(dir, 'data.bin'), '-sigfile', join(dir, 'sig.der')).includes('Signature Verified Successfully');
    } catch {
      return false;
    }
  }

  it('openssl verifies our signatures with the default user id, and rejects a forged one', () => {
    const { privateKey, publicKey } = generateKeyPair();
    const data = Buffer.from('0100000001000f', 'hex');
    const sig = sign(data, privateKey);
    expect(opensslVerifies(data, sig, publicKey)).toBe(true);
    const forged = Buffer.from(sig);
    forged[5] ^= 0x40;
    expect(opensslVerifies(data, forged, publicKey)).toBe(false);
    const v = vectors.signatures[0];
    expect(opensslVerifies(Buffer.from(v.data, 'hex'), Buffer.from(v.signature, 'hex'), vectors.publicKey)).toBe(true);
  });

  it('we verify what openssl signs', () => {
    const key = join(dir, 'key.pem');
    openssl('genpkey', '-algorithm', 'SM2', '-out', key);
    const spki = execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-outform', 'DER']);
    const publicKey = spki.subarray(-65).toString('hex');
    const data = Buffer.from('stop broadcast 1234');
    writeFileSync(join(dir, 'data2.bin'), data);
    openssl('pkeyutl', '-sign', '-inkey', key, '-rawin', '-digest', 'sm3', '-pkeyopt', `distid:${DEFAULT_USER_ID}`, '-in', join(dir, 'data2.bin'), '-out', join(dir, 'sig2.der'));
    const sig = fromDer(readFileSync(join(dir, 'sig2.der')));
    expect(verify(data, sig, publicKey)).toBe(true);
    expect(verify(Buffer.from('stop broadcast 1235'), sig, publicKey)).toBe(false);
  });
});
