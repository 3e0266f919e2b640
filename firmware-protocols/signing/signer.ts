/**
 * Signing and verifying with certificates known by serial (docs/domain.md, "Signatures"): a signer holds one certificate's
 * private key; a verifier knows the public keys of trusted certificates and refuses unknown ones. The data signed is
 * whatever the link's PROTOCOL.md says; the signing time is taken as an argument (pure: no clock here).
 */
import { checkCertSerial, type SignatureBlock } from './signature-block';
import { publicKeyOf, sign, verify } from './sm2-sm3';

export class Sm2Signer {
  readonly publicKey: string;

  constructor(
    readonly certSerial: string,
    private readonly privateKey: string,
  ) {
    checkCertSerial(certSerial);
    this.publicKey = publicKeyOf(privateKey);
  }

  /** Signs data at `time` (whole seconds are what travel). */
  sign(data: Uint8Array, time: Date): SignatureBlock {
    return {
      time: new Date(Math.floor(time.getTime() / 1000) * 1000),
      certSerial: this.certSerial,
      signature: sign(data, this.privateKey),
    };
  }

  /** FrameSigner (adapter) shape: signs at the time `now` gives (the caller's clock). */
  atTimesOf(now: () => Date): { sign(data: Uint8Array): SignatureBlock } {
    return { sign: (data) => this.sign(data, now()) };
  }
}

export type Verdict = 'valid' | 'unknown-certificate' | 'bad-signature';

export class Sm2Verifier {
  private readonly keys = new Map<string, string>();

  constructor(trusted: Iterable<{ certSerial: string; publicKey: string }> = []) {
    for (const t of trusted) this.trust(t.certSerial, t.publicKey);
  }

  trust(certSerial: string, publicKey: string): void {
    this.keys.set(checkCertSerial(certSerial), publicKey);
  }

  check(data: Uint8Array, block: SignatureBlock): Verdict {
    const key = this.keys.get(block.certSerial);
    if (key === undefined) return 'unknown-certificate';
    return verify(data, block.signature, key) ? 'valid' : 'bad-signature';
  }

  /** FrameVerifier (adapter) shape: true only for a known certificate and a valid signature. */
  verify(data: Uint8Array, block: SignatureBlock): boolean {
    return this.check(data, block) === 'valid';
  }
}
