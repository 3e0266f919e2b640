/**
 * Clip files on disk, content-addressed: <clipDir>/<sha256[0..2]>/<sha256>.<ext>. Work files (uploads being checked,
 * encoder outputs) live in <clipDir>/tmp until adopted; adopting computes the SHA-256 address and the SM3 digest the
 * terminals verify, then moves the file into place (an identical file already there is simply reused). In a cluster a
 * file adopted is also put into the shared database, and one missing here is fetched from there (clip-blobs.ts).
 */
import { Inject, Injectable, Optional } from '@nestjs/common';
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { sm3 } from 'sm-crypto-v2';
import { AUDIO_CONFIG } from '../audio.tokens';
import type { AudioConfig } from '../audio-config';
import { ClipBlobs } from './clip-blobs';

export interface StoredFile {
  /** Path relative to the clip folder, e.g. "ab/ab12….ogg". */
  key: string;
  sha256: string;
  sm3: string;
  sizeBytes: number;
}

@Injectable()
export class ClipFiles {
  constructor(
    @Inject(AUDIO_CONFIG) private readonly config: AudioConfig,
    @Optional() private readonly blobs?: ClipBlobs,
  ) {}

  private get tmpDir(): string {
    return join(this.config.clipDir, 'tmp');
  }

  /** A fresh work-file path (nothing is created). */
  async workPath(extension: string): Promise<string> {
    await mkdir(this.tmpDir, { recursive: true });
    return join(this.tmpDir, `${randomUUID()}.${extension}`);
  }

  async writeWork(bytes: Uint8Array, extension: string): Promise<string> {
    const path = await this.workPath(extension);
    await writeFile(path, bytes);
    return path;
  }

  async discard(...paths: string[]): Promise<void> {
    await Promise.all(paths.map((p) => rm(p, { force: true })));
  }

  async adopt(workFile: string, extension: string): Promise<StoredFile> {
    const bytes = await readFile(workFile);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const key = `${sha256.slice(0, 2)}/${sha256}.${extension}`;
    const target = join(this.config.clipDir, key);
    await mkdir(dirname(target), { recursive: true });
    await rename(workFile, target);
    await this.blobs?.put(sha256, bytes);
    return { key, sha256, sm3: sm3(bytes), sizeBytes: bytes.length };
  }

  async read(key: string): Promise<Uint8Array> {
    await this.ensure(key);
    return readFile(this.path(key));
  }

  /**
   * The file is in this instance's folder: when it is not, and the cluster's database holds it, it is fetched from
   * there (checked against its address) and kept. Not clustered, or held nowhere: left for the read to fail on.
   */
  async ensure(key: string): Promise<void> {
    if (!this.blobs?.enabled || (await this.exists(key))) return;
    const sha256 = key.slice(3, 67);
    const bytes = await this.blobs.get(sha256);
    if (!bytes) throw new Error(`clip file ${key} is not in this instance's folder, nor in the cluster's database`);
    const work = await this.writeWork(bytes, 'part');
    await mkdir(dirname(this.path(key)), { recursive: true });
    await rename(work, this.path(key));
  }

  async size(key: string): Promise<number | null> {
    try {
      return (await stat(this.path(key))).size;
    } catch {
      return null;
    }
  }

  /** Bytes start..end inclusive. */
  open(key: string, start?: number, end?: number): Readable {
    return createReadStream(this.path(key), start === undefined ? {} : { start, end });
  }

  async remove(key: string): Promise<void> {
    await rm(this.path(key), { force: true });
  }

  async exists(key: string): Promise<boolean> {
    return (await this.size(key)) !== null;
  }

  /** Where a stored file lies (for ffmpeg to read it). */
  pathOf(key: string): string {
    return this.path(key);
  }

  private path(key: string): string {
    if (!/^[0-9a-f]{2}\/[0-9a-f]{64}\.[a-z0-9]{1,5}$/.test(key)) throw new Error(`not a clip file key: ${key}`);
    return join(this.config.clipDir, key);
  }
}
