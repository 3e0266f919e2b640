import vectors from './vectors/sm2-sm3.json';
import {
  decodeSignatureBlock,
  encodeSignatureBlock,
  generateKeyPair,
  publicKeyOf,
  sign,
  Sm2Signer,
  Sm2Verifier,
  sm3Hex,
  verify,
} from '.';

const hex = (h: string): Buffer => Buffer.from(h, 'hex');

describe('SM2-SM3 signing (docs/domain.md "Signatures")', () => {
  it('computes SM3 of the standard examples (GB/T 32905 A.1, A.2)', () => {
    for (const v of vectors.sm3) expect(sm3Hex(Buffer.from(v.ascii, 'ascii'))).toBe(v.digest);
  });

  it('derives the public key of the example private key', () => {
    expect(publicKeyOf(vectors.privateKey)).toBe(vectors.publicKey);
  });

  it('verifies the stored signatures (checked with openssl), and refuses altered data, signature or key', () => {
    for (const v of vectors.signatures) {
      expect(verify(hex(v.data), hex(v.signature), vectors.publicKey)).toBe(true);
      const data = hex(v.data);
      data[0] ^= 1;
      expect(verify(data, hex(v.signature), vectors.publicKey)).toBe(false);
      const sig = hex(v.signature);
      sig[63] ^= 1;
      expect(verify(hex(v.data), sig, vectors.publicKey)).toBe(false);
      expect(verify(hex(v.data), hex(v.signature), generateKeyPair().publicKey)).toBe(false);
      expect(verify(hex(v.data), hex(v.signature), vectors.publicKey, 'another-user-id')).toBe(false);
      expect(verify(hex(v.data), hex(v.signature).subarray(1), vectors.publicKey)).toBe(false);
    }
  });

  it('signs as 64 bytes r‖s that verify', () => {
    const data = Buffer.from('play clip 7 at priority 1');
    const sig = sign(data, vectors.privateKey);
    expect(sig).toHaveLength(64);
    expect(verify(data, sig, vectors.publicKey)).toBe(true);
  });

  it('encodes the signature block byte-exactly: time u32 ‖ certificate serial 6 BCD ‖ signature 64', () => {
    for (const v of vectors.signatureBlocks) {
      const block = { time: new Date(v.block.time), certSerial: v.block.certSerial, signature: hex(v.block.signature) };
      expect(encodeSignatureBlock(block).toString('hex')).toBe(v.hex);
      const back = decodeSignatureBlock(hex(v.hex));
      expect({ ...back, signature: Buffer.from(back.signature).toString('hex') }).toEqual({
        ...v.block,
        time: new Date(v.block.time),
      });
    }
    expect(() => decodeSignatureBlock(hex(vectors.signatureBlocks[0].hex).subarray(1))).toThrow(
      /signatureBlock: must be 74 bytes; got 73/,
    );
    expect(() =>
      encodeSignatureBlock({ time: new Date(0), certSerial: '12345', signature: new Uint8Array(64) }),
    ).toThrow(/certSerial: must be 12 digits/);
  });

  it('verifier knows certificates by serial and tells unknown certificates from bad signatures', () => {
    const signer = new Sm2Signer('340000000001', vectors.privateKey);
    const verifier = new Sm2Verifier([{ certSerial: '340000000001', publicKey: signer.publicKey }]);
    const data = Buffer.from('command');
    const block = signer.atTimesOf(() => new Date(Date.UTC(2024, 9, 23, 2, 0, 0, 750))).sign(data);
    expect(block.time.toISOString()).toBe('2024-10-23T02:00:00.000Z');
    expect(verifier.check(data, block)).toBe('valid');
    expect(verifier.verify(data, block)).toBe(true);
    expect(verifier.check(Buffer.from('commanD'), block)).toBe('bad-signature');
    expect(verifier.check(data, { ...block, certSerial: '340000000002' })).toBe('unknown-certificate');
  });
});
