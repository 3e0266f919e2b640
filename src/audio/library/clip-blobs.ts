/**
 * Clip files shared through the database (docs/cluster.md, "Clip files across instances"). Each instance keeps its
 * clip files in its own data folder; in a cluster (DALABA_CLUSTER=on) every file stored is also written to the shared
 * database, in parts of 4 MiB (table clip_blob_part), so that the instance holding a bus can send a clip uploaded,
 * synthesised or rendered through another one. A file missing from the folder is fetched from there, checked against
 * its SHA-256 address, and kept in the folder. At start an instance puts the files only it holds into the database
 * (a folder from before the cluster). Not clustered: nothing is written or read here.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { AUDIO_CONFIG } from '../audio.tokens';
import type { AudioConfig } from '../audio-config';

/** Bytes per row: well under MariaDB's default max_allowed_packet (16 MiB). */
export const PART_BYTES = 4 * 1024 * 1024;

const KEY = /^[0-9a-f]{2}\/([0-9a-f]{64})\.[a-z0-9]{1,5}$/;

@Injectable()
export class ClipBlobs implements OnApplicationBootstrap {
  private readonly log = new Logger('Audio');
  readonly enabled: boolean;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) app: AppConfig,
    @Inject(AUDIO_CONFIG) private readonly audio: AudioConfig,
  ) {
    this.enabled = app.cluster.enabled;
  }

  /** Whether the database holds the file of this SHA-256. */
  async has(sha256: string): Promise<boolean> {
    const rows = await this.dataSource.query<unknown[]>(
      'SELECT 1 AS one FROM clip_blob_part WHERE sha256 = ? AND part = 0',
      [sha256],
    );
    return rows.length > 0;
  }

  /** Puts a stored file into the database, once (an instance storing the same bytes meanwhile is no error). */
  async put(sha256: string, bytes: Uint8Array): Promise<void> {
    if (!this.enabled || (await this.has(sha256))) return;
    try {
      await this.dataSource.transaction(async (em) => {
        for (let part = 0, at = 0; at < bytes.length || part === 0; part++, at += PART_BYTES)
          await em.query('INSERT INTO clip_blob_part (sha256, part, bytes) VALUES (?, ?, ?)', [
            sha256,
            part,
            Buffer.from(bytes.subarray(at, at + PART_BYTES)),
          ]);
      });
    } catch (e) {
      // the same content-addressed file put by another instance at the same moment: theirs is the same bytes
      if (await this.has(sha256)) return;
      throw e;
    }
  }

  /** The file of this SHA-256 from the database, checked against it; null when the database does not hold it. */
  async get(sha256: string): Promise<Buffer | null> {
    const rows = await this.dataSource.query<{ bytes: Buffer | Uint8Array }[]>(
      'SELECT bytes FROM clip_blob_part WHERE sha256 = ? ORDER BY part',
      [sha256],
    );
    if (rows.length === 0) return null;
    const bytes = Buffer.concat(rows.map((r) => Buffer.from(r.bytes)));
    const got = createHash('sha256').update(bytes).digest('hex');
    if (got !== sha256) throw new Error(`clip file ${sha256} in the database is damaged (its SHA-256 is ${got})`);
    return bytes;
  }

  /** In a cluster: the files of this instance's folder the database does not hold yet are put there, in the background. */
  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    void this.backfill()
      .then((n) => n > 0 && this.log.log(`${n} clip file(s) of this instance put into the cluster's database`))
      .catch((e: unknown) => this.log.warn(`clip files not put into the cluster's database: ${(e as Error).message}`));
  }

  private async backfill(): Promise<number> {
    let n = 0;
    for (const key of await this.localKeys()) {
      const sha256 = KEY.exec(key)?.[1] as string;
      if (await this.has(sha256)) continue;
      const bytes = await readFile(join(this.audio.clipDir, key));
      if (createHash('sha256').update(bytes).digest('hex') !== sha256) continue;
      await this.put(sha256, bytes);
      n++;
    }
    return n;
  }

  private async localKeys(): Promise<string[]> {
    const keys: string[] = [];
    let dirs: string[];
    try {
      dirs = await readdir(this.audio.clipDir);
    } catch {
      return keys;
    }
    for (const d of dirs.filter((x) => /^[0-9a-f]{2}$/.test(x)))
      for (const f of await readdir(join(this.audio.clipDir, d))) if (KEY.test(`${d}/${f}`)) keys.push(`${d}/${f}`);
    return keys;
  }
}
