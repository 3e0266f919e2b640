/** Signatures checked by an independent implementation: the openssl CLI (OpenSSL 3, SM2 with distid). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWith } from '../../test/support/capabilities';
import { fromDer, openssl, opensslVerifies as verifiesIn } from '../../test/support/openssl-sm2';
import vectors from './vectors/sm2-sm3.json';
import { DEFAULT_USER_ID, generateKeyPair, sign, verify } from '.';

describeWith(['openssl'], 'SM2-SM3 signatures against the openssl CLI', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dalaba-sm2-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const opensslVerifies = (data: Buffer, signature: Uint8Array, publicKey: string): boolean =>
    verifiesIn(dir, data, signature, publicKey);

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
    openssl(
      'pkeyutl',
      '-sign',
      '-inkey',
      key,
      '-rawin',
      '-digest',
      'sm3',
      '-pkeyopt',
      `distid:${DEFAULT_USER_ID}`,
      '-in',
      join(dir, 'data2.bin'),
      '-out',
      join(dir, 'sig2.der'),
    );
    const sig = fromDer(readFileSync(join(dir, 'sig2.der')));
    expect(verify(data, sig, publicKey)).toBe(true);
    expect(verify(Buffer.from('stop broadcast 1235'), sig, publicKey)).toBe(false);
  });
});
