import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DataSource } from 'typeorm';
import { Transactions, type Tx } from '../../database/transactions';
import { loadAudioConfig, type AudioConfig } from '../audio-config';
import { AudioProcesses } from '../media/audio-processes';
import { CODEC_PROFILES } from '../media/codec-profiles';
import { Ffmpeg, type EncodeOptions, type EncodeOutput, type EncodeSource, type MediaFacts } from '../media/ffmpeg';
import { ClipFiles } from './clip-files';
import { ClipPipeline } from './clip-pipeline';
import { ClipRepository, type ClipRow, type VariantRow } from './clip.repository';

/** ffmpeg that writes fixed bytes per output, or fails after writing some of them. */
class FakeFfmpeg extends Ffmpeg {
  failAfterWriting = false;
  constructor(config: AudioConfig) {
    super(new AudioProcesses(config), config);
  }
  override encode(_source: EncodeSource, outputs: readonly EncodeOutput[], options: EncodeOptions): Promise<void> {
    for (const o of outputs) writeFileSync(o.file, `encoded ${o.profile.id}`);
    options.onProgress?.(50);
    return this.failAfterWriting
      ? Promise.reject(new Error('ffmpeg: encoding failed (Invalid argument)'))
      : Promise.resolve();
  }
  override facts(): Promise<MediaFacts> {
    return Promise.resolve({ codecName: 'opus', seconds: 12.04, bitrate: 16_000 });
  }
}

class MemoryClips extends ClipRepository {
  rows = new Map<string, ClipRow>();
  variants: VariantRow[] = [];
  constructor() {
    super(undefined as unknown as DataSource);
  }
  override updateClip(id: string, patch: Partial<ClipRow>): Promise<void> {
    this.rows.set(id, { ...this.rows.get(id)!, ...patch });
    return Promise.resolve();
  }
  override insertVariants(rows: VariantRow[]): Promise<void> {
    this.variants.push(...rows);
    return Promise.resolve();
  }
  override isFileUsed(key: string): Promise<boolean> {
    return Promise.resolve(this.variants.some((v) => v.fileKey === key));
  }
}

class ImmediateTransactions extends Transactions {
  constructor() {
    super({ options: { type: 'memory' } } as unknown as DataSource);
  }
  override run<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return work({} as Tx);
  }
}

describe('ClipPipeline', () => {
  let dir: string;
  let config: AudioConfig;
  let ffmpeg: FakeFfmpeg;
  let clips: MemoryClips;
  let pipeline: ClipPipeline;
  const row: ClipRow = {
    id: 'c1',
    kind: 'upload',
    title: 't',
    state: 'processing',
    error: null,
    source: null,
    durationMs: null,
    createdById: 1,
    createdAt: new Date(),
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dalaba-pipeline-'));
    config = loadAudioConfig({}, dir);
    ffmpeg = new FakeFfmpeg(config);
    clips = new MemoryClips();
    clips.rows.set('c1', { ...row });
    pipeline = new ClipPipeline(ffmpeg, new ClipFiles(config), clips, new ImmediateTransactions());
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const stored = () =>
    readdirSync(join(dir, 'audio'), { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name);

  it('stores one content-addressed variant per profile with SM3 and marks the clip ready', async () => {
    const progress: number[] = [];
    const variants = await pipeline.produce(
      'c1',
      { file: '/in.wav' },
      { expectedSeconds: 12, onProgress: (p) => progress.push(p) },
    );
    expect(variants.map((v) => v.profile)).toEqual(CODEC_PROFILES.map((p) => p.id));
    for (const v of variants) {
      expect(v.fileKey).toBe(
        `${v.sha256.slice(0, 2)}/${v.sha256}.${CODEC_PROFILES.find((p) => p.id === v.profile)!.extension}`,
      );
      expect(v.sm3).toMatch(/^[0-9a-f]{64}$/);
      expect(v.durationMs).toBe(12_040);
    }
    expect(clips.rows.get('c1')).toMatchObject({ state: 'ready', durationMs: 12_000 });
    expect(progress).toEqual([50]);
    expect(readdirSync(join(dir, 'audio', 'tmp'))).toEqual([]);
  });

  it('on failure marks the clip failed with the reason and leaves no file behind', async () => {
    ffmpeg.failAfterWriting = true;
    await expect(pipeline.produce('c1', { file: '/in.wav' }, { expectedSeconds: 12 })).rejects.toThrow(
      'encoding failed',
    );
    expect(clips.rows.get('c1')).toMatchObject({
      state: 'failed',
      error: 'ffmpeg: encoding failed (Invalid argument)',
    });
    expect(clips.variants).toEqual([]);
    expect(stored()).toEqual([]);
  });
});
