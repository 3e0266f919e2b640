/**
 * A clip as long as the audio library accepts (AUDIO_MAX_SECONDS, 900 s) at its largest variant (64 kb/s: about 30,000
 * chunks, 15 bitmap pages past the first read; PROTOCOL.md §6.3) stored on simulated terminals by the driver's clip
 * transfer over an in-process wire that loses frames, at memory speed: every version 2 terminal ends with the clip,
 * its own SM3 over what it received equal to the variant's; a version 1 terminal is refused by name.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sm3 } from 'sm-crypto-v2';
import { transferClip } from '../../device-drivers/modbus-terminal/clip-transfer';
import { InProcessWire, wireTerminals } from '../../device-drivers/simulator/terminal/in-process-wire';
import { generateKeyPair, Sm2Signer } from '../../firmware-protocols/signing';
import { chunkCount, FIRST_READ_CHUNKS } from '../../firmware-protocols/terminal-modbus';
import { loadAudioConfig } from '../../src/audio/audio-config';
import { CODEC_PROFILES } from '../../src/audio/media/codec-profiles';
import { resolveAudioTools } from '../../src/audio/media/tool-resolution';

const run = promisify(execFile);
const FFMPEG = resolveAudioTools({ ffmpeg: process.env.AUDIO_FFMPEG, ffprobe: process.env.AUDIO_FFPROBE }).ffmpeg.path;

jest.setTimeout(180_000);

describe('a clip of the longest length the library accepts, at its largest variant', () => {
  let dir: string;
  let variant: { profile: string; data: Buffer };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dalaba-long-clip-'));
    const seconds = loadAudioConfig({}, dir).maxSeconds;
    const files = await Promise.all(
      CODEC_PROFILES.filter((p) => p.bitrate === Math.max(...CODEC_PROFILES.map((q) => q.bitrate))).map(async (p) => {
        const file = join(dir, `${p.id}.${p.extension}`);
        await run(FFMPEG, [
          '-v',
          'error',
          '-y',
          '-f',
          'lavfi',
          '-i',
          `sine=frequency=440:duration=${seconds}:sample_rate=${p.sampleRate}`,
          ...p.encoderArgs,
          file,
        ]);
        return { profile: p.id, file, size: (await stat(file)).size };
      }),
    );
    const largest = files.sort((a, b) => b.size - a.size)[0];
    variant = { profile: largest.profile, data: await readFile(largest.file) };
  });

  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('is stored byte for byte (SM3) on every version 2 terminal; a version 1 terminal is refused by name', async () => {
    const chunks = chunkCount(variant.data.length);
    expect(chunks).toBeGreaterThan(29_000);
    expect(chunks).toBeGreaterThan(FIRST_READ_CHUNKS * 15);
    const keys = generateKeyPair();
    const signer = new Sm2Signer('202400000019', keys.privateKey);
    const terminals = wireTerminals({
      units: [1, 2, 3, 4],
      certSerial: signer.certSerial,
      publicKeyHex: signer.publicKey,
      clipStorageKb: 16_384,
      mapVersion: (u) => (u === 4 ? 1 : 2),
    });
    const wire = new InProcessWire(terminals, { signer, noise: 0.002, seed: 19 });
    const digest = sm3(variant.data);
    const r = await transferClip(
      wire,
      [1, 2, 3, 4],
      { clipId: 900, codec: variant.profile, digest, data: variant.data },
      {},
    );
    expect(r.stored.sort()).toEqual([1, 2, 3]);
    expect(r.failed).toEqual([
      expect.objectContaining({
        unit: 4,
        reason: expect.stringContaining(
          `unit 4 speaks register map version 1, which cannot report chunks past 1983; clip has ${chunks} chunks`,
        ),
      }),
    ]);
    for (const unit of [1, 2, 3]) {
      const held = terminals.get(unit)!.model.clips.committed(900);
      expect(held).toMatchObject({ size: variant.data.length, digest });
    }
    expect(wire.counts.lost).toBeGreaterThan(0);
  });
});
