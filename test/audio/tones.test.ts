/**
 * Built-in tones: listed from the first start with stable ids, generated on first use by PCM synthesis and encoded
 * like any clip; the air-raid signal's on/off envelope, measured from decoded samples, is 6 s / 6 s × 15 within 50 ms.
 */
import { join } from 'node:path';
import { sm3 } from 'sm-crypto-v2';
import { AudioService } from '../../src/audio/audio.service';
import { AudioJobs } from '../../src/audio/jobs/audio-jobs';
import { ToneService } from '../../src/audio/tones/tone.service';
import { TestApp, createTestApp } from '../support/app';
import { decode, envelope } from './media';

// real encoding on a shared machine: a deadline, not a speed goal
jest.setTimeout(120_000);

describe('built-in tones', () => {
  let t: TestApp;
  let viewer: string;

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    viewer = (await t.createUser({ username: 'viewer1', roles: ['viewer'] })).token;
  });
  afterAll(() => t?.close());

  it('lists the four air-defence signals and the chime with stable ids before any is generated', async () => {
    const res = await t.http.get('/api/audio/clips?kind=tone').set(t.auth(viewer)).expect(200);
    const tones = Object.fromEntries(res.body.items.map((c: { id: string }) => [c.id, c]));
    expect(Object.keys(tones).sort()).toEqual([
      'tone-air-raid',
      'tone-all-clear',
      'tone-chime',
      'tone-disaster',
      'tone-preliminary-alert',
    ]);
    expect(tones['tone-air-raid']).toMatchObject({
      title: '空袭警报',
      state: 'pending',
      builtIn: true,
      durationMs: 180_000,
    });
    expect(tones['tone-preliminary-alert']).toMatchObject({
      title: '预先警报',
      source: 'on 36 s, off 24 s, on 36 s, off 24 s, on 36 s, off 24 s',
    });
    expect(tones['tone-disaster']).toMatchObject({ title: '灾情警报', durationMs: 120_000 });
    expect(tones['tone-all-clear']).toMatchObject({ title: '解除警报', source: 'on 180 s' });
  });

  it('generates the air-raid signal on first use, with a 6 s on / 6 s off × 15 envelope within 50 ms', async () => {
    const first = await t.http.get('/api/audio/clips/tone-air-raid').set(t.auth(viewer)).expect(200);
    expect(first.body.state).toBe('processing');
    const job = await t.app.get(ToneService).ensure('tone-air-raid');
    expect(job).not.toBeNull();
    expect(await t.app.get(AudioJobs).settled(job!.id)).toMatchObject({ state: 'succeeded' });

    const clip = (await t.http.get('/api/audio/clips/tone-air-raid').set(t.auth(viewer)).expect(200)).body;
    expect(clip.state).toBe('ready');
    for (const profile of ['opus-16k', 'mp3-64k']) {
      const v = clip.variants.find((x: { profile: string }) => x.profile === profile);
      const ext = profile.startsWith('opus') ? 'ogg' : 'mp3';
      const rate = 8000;
      const samples = await decode(join(t.config.dataDir, 'audio', v.sha256.slice(0, 2), `${v.sha256}.${ext}`), rate);
      expect(Math.abs(samples.length / rate - 180)).toBeLessThan(0.1);
      const segments = envelope(samples, rate);
      expect(segments).toHaveLength(30);
      segments.forEach((s, i) => {
        expect(s.on).toBe(i % 2 === 0);
        expect(Math.abs(s.start - i * 6)).toBeLessThanOrEqual(0.05);
        // the last pause runs to the end of the file
        if (i < 29) expect(Math.abs(s.end - (i + 1) * 6)).toBeLessThanOrEqual(0.05);
      });
    }
  }, 120_000);

  it('hands the field layer the variant a terminal decodes, with its SM3 digest', async () => {
    const audio = t.app.get(AudioService);
    const clip = await audio.forTerminals('tone-air-raid', ['opus']);
    expect(clip).toMatchObject({ libraryClipId: 'tone-air-raid', profile: 'opus-16k', codec: 'opus' });
    expect(clip.digest).toBe(sm3(clip.data));
    expect(Number.isInteger(clip.clipId)).toBe(true);
    expect((await audio.forTerminals('tone-air-raid', ['mp3'])).codec).toBe('mp3');
    await expect(audio.forTerminals('tone-air-raid', ['g711'])).rejects.toMatchObject({
      code: 'clip_codec_unsupported',
      status: 409,
    });
  });

  it('refuses to delete a built-in tone', async () => {
    const admin = await t.adminToken();
    const res = await t.http.delete('/api/audio/clips/tone-chime').set(t.auth(admin)).expect(409);
    expect(res.body).toMatchObject({ code: 'clip_builtin' });
  });
});
