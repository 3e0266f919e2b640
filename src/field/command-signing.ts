/**
 * The controller's command-signing certificate (docs/domain.md, "Signatures"): an SM2 key pair and a 12-digit certificate serial,
 * generated once into <data dir>/keys/command-signing.json (mode 0600) and kept across restarts. Terminals trust it by
 * serial; the public half is what an installer loads into them (and what the demo's simulator is told to trust).
 */
import { randomInt } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateKeyPair, publicKeyOf, Sm2Signer } from '../../firmware-protocols/signing';

export interface SigningCertificate {
  serial: string;
  publicKeyHex: string;
}

interface StoredKey {
  serial: string;
  privateKeyHex: string;
}

export class CommandSigning {
  readonly signer: Sm2Signer;
  readonly certificate: SigningCertificate;

  private constructor(key: StoredKey) {
    this.signer = new Sm2Signer(key.serial, key.privateKeyHex);
    this.certificate = { serial: key.serial, publicKeyHex: publicKeyOf(key.privateKeyHex) };
  }

  static file(dataDir: string): string {
    return join(dataDir, 'keys', 'command-signing.json');
  }

  /** Loads the key of this data folder, creating it on first use; a damaged file is an error naming the file. */
  static load(dataDir: string): CommandSigning {
    const file = CommandSigning.file(dataDir);
    if (existsSync(file)) {
      let key: Partial<StoredKey>;
      try {
        key = JSON.parse(readFileSync(file, 'utf8')) as Partial<StoredKey>;
      } catch (e) {
        throw new Error(`command-signing key ${file} is not valid JSON: ${(e as Error).message}`);
      }
      if (
        typeof key.serial !== 'string' ||
        !/^\d{12}$/.test(key.serial) ||
        typeof key.privateKeyHex !== 'string' ||
        !/^[0-9a-f]{64}$/i.test(key.privateKeyHex)
      ) {
        throw new Error(`command-signing key ${file} needs a 12-digit "serial" and a 64-hex-digit "privateKeyHex"`);
      }
      return new CommandSigning({ serial: key.serial, privateKeyHex: key.privateKeyHex });
    }
    const serial = String(randomInt(100_000_000_000, 1_000_000_000_000));
    const key: StoredKey = { serial, privateKeyHex: generateKeyPair().privateKey };
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    writeFileSync(file, JSON.stringify(key, null, 2) + '\n', { mode: 0o600, flag: 'wx' });
    return new CommandSigning(key);
  }
}
