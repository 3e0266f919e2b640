/**
 * Raw packets as they travelled (received and sent), for later proof: <dataDir>/upstream/<sha256>.bin, written once
 * (mode 0600) and never changed; the inbox and outbox rows name them by digest.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';

@Injectable()
export class PacketStore {
  private readonly dir: string;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.dir = join(config.dataDir, 'upstream');
  }

  /** Stores the bytes (once per content) and returns their SHA-256. */
  async put(body: Buffer): Promise<string> {
    const sha256 = createHash('sha256').update(body).digest('hex');
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await writeFile(this.path(sha256), body, { mode: 0o600, flag: 'wx' }).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
    return sha256;
  }

  get(sha256: string): Promise<Buffer> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`not a SHA-256: ${sha256}`);
    return readFile(this.path(sha256));
  }

  private path(sha256: string): string {
    return join(this.dir, `${sha256}.bin`);
  }
}
