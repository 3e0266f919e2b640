/**
 * Our SM2 key for what we send upstream (EBDResponse and reports): DALABA_UPSTREAM_SIGNING_KEY with its certificate
 * serial, or generated once into <dataDir>/keys/upstream-signing.json (mode 0600). The upstream platform registers
 * the public key and serial (GET /api/upstream/certificate shows them).
 */
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateKeyPair, publicKeyOf, sign } from '../../firmware-protocols/signing';
import type { AppConfig } from '../config/config';

export interface UpstreamKey {
  certSn: string;
  privateKeyHex: string;
}

export class UpstreamSigning {
  readonly certSn: string;
  readonly publicKey: string;
  readonly #privateKey: string;

  constructor(key: UpstreamKey) {
    this.certSn = key.certSn;
    this.#privateKey = key.privateKeyHex;
    this.publicKey = publicKeyOf(key.privateKeyHex);
  }

  sign(data: Uint8Array): Uint8Array {
    return sign(data, this.#privateKey);
  }

  static load(config: AppConfig): UpstreamSigning {
    const u = config.upstream;
    if (u.signingKey && u.certSn)
      return new UpstreamSigning({ certSn: u.certSn, privateKeyHex: u.signingKey.reveal() });
    const file = join(config.dataDir, 'keys', 'upstream-signing.json');
    if (existsSync(file)) {
      const key = JSON.parse(readFileSync(file, 'utf8')) as Partial<UpstreamKey>;
      if (
        typeof key.certSn !== 'string' ||
        typeof key.privateKeyHex !== 'string' ||
        !/^[0-9a-f]{64}$/i.test(key.privateKeyHex)
      ) {
        throw new Error(`upstream signing key ${file} needs "certSn" and a 64-hex-digit "privateKeyHex"`);
      }
      return new UpstreamSigning({ certSn: key.certSn, privateKeyHex: key.privateKeyHex });
    }
    const key: UpstreamKey = {
      certSn: String(randomInt(100_000_000_000, 1_000_000_000_000)),
      privateKeyHex: generateKeyPair().privateKey,
    };
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(key, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    return new UpstreamSigning(key);
  }
}
