/**
 * Signed checkpoints of the audit chain, kept outside the database: one JSON line per checkpoint in
 * <data dir>/keys/audit-checkpoints.jsonl, `{id, hash, at, signature}`, signed with SM2 by a key of its own
 * (<data dir>/keys/audit-signing.json, 0600; its public half in audit-signing.pub). Whoever rewrites the database
 * cannot move a checkpoint, so a truncated tail or a re-chained log no longer matches the newest one.
 * `checkCheckpoints` needs only the file's lines and the public key: a verifier can run it on copies, offline.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generateKeyPair, publicKeyOf, sign, verify } from '../../firmware-protocols/signing';
import type { Clock } from '../common/clock';

export interface Checkpoint {
  id: number;
  hash: string;
  at: string;
  signature: string;
}

export interface CheckpointReport {
  /** The newest checkpoint whose signature holds, or null when there is none. */
  newest: Checkpoint | null;
  /** 1-based line numbers that are not valid signed checkpoints. */
  badLines: number[];
}

function signedText(c: Pick<Checkpoint, 'id' | 'hash' | 'at'>): Uint8Array {
  return Buffer.from(`dalaba-audit-checkpoint\n${c.id}\n${c.hash}\n${c.at}`, 'utf8');
}

/** Checks every line of a checkpoint file against the public key. */
export function checkCheckpoints(lines: readonly string[], publicKeyHex: string): CheckpointReport {
  let newest: Checkpoint | null = null;
  const badLines: number[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const c = JSON.parse(line) as Checkpoint;
      const shaped =
        Number.isInteger(c.id) &&
        typeof c.hash === 'string' &&
        typeof c.at === 'string' &&
        typeof c.signature === 'string' &&
        /^[0-9a-f]{128}$/.test(c.signature);
      if (!shaped || !verify(signedText(c), Buffer.from(c.signature, 'hex'), publicKeyHex)) throw new Error('bad');
      if (!newest || c.id >= newest.id) newest = c;
    } catch {
      badLines.push(i + 1);
    }
  });
  return { newest, badLines };
}

export class AuditCheckpoints {
  readonly file: string;
  readonly publicKeyHex: string;
  private readonly privateKeyHex: string;

  constructor(
    keysDir: string,
    private readonly clock: Clock,
  ) {
    this.file = join(keysDir, 'audit-checkpoints.jsonl');
    const keyFile = join(keysDir, 'audit-signing.json');
    mkdirSync(keysDir, { recursive: true, mode: 0o700 });
    if (existsSync(keyFile)) {
      const stored = JSON.parse(readFileSync(keyFile, 'utf8')) as { privateKeyHex?: unknown };
      if (typeof stored.privateKeyHex !== 'string' || !/^[0-9a-f]{64}$/i.test(stored.privateKeyHex))
        throw new Error(`audit signing key ${keyFile} needs a 64-hex-digit "privateKeyHex"`);
      this.privateKeyHex = stored.privateKeyHex;
    } else {
      this.privateKeyHex = generateKeyPair().privateKey;
      writeFileSync(keyFile, JSON.stringify({ privateKeyHex: this.privateKeyHex }, null, 2) + '\n', {
        mode: 0o600,
        flag: 'wx',
      });
    }
    this.publicKeyHex = publicKeyOf(this.privateKeyHex);
    const pub = join(keysDir, 'audit-signing.pub');
    if (!existsSync(pub)) writeFileSync(pub, this.publicKeyHex + '\n', { mode: 0o644 });
  }

  lines(): string[] {
    return existsSync(this.file) ? readFileSync(this.file, 'utf8').split('\n') : [];
  }

  check(): CheckpointReport {
    return checkCheckpoints(this.lines(), this.publicKeyHex);
  }

  /** Appends a signed checkpoint of row `id` with `hash`. */
  write(id: number, hash: string, at = this.clock.date()): Checkpoint {
    const base = { id, hash, at: at.toISOString() };
    const checkpoint: Checkpoint = {
      ...base,
      signature: Buffer.from(sign(signedText(base), this.privateKeyHex)).toString('hex'),
    };
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    appendFileSync(this.file, JSON.stringify(checkpoint) + '\n', { mode: 0o600 });
    return checkpoint;
  }
}
