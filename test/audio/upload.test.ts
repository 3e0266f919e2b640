/**
 * Upload: a recording is checked fully before anything is stored, then loudness-normalised and transcoded to every
 * codec profile, each variant with its SM3 digest; previews answer HTTP range requests.
 */
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  copyFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sm3 } from 'sm-crypto-v2';
import { AudioService } from '../../src/audio/audio.service';
import { AudioJobs } from '../../src/audio/jobs/audio-jobs';
import { ClipRepository } from '../../src/audio/library/clip.repository';
import { ClipReferences } from '../../src/audio/library/clip-references';
import { CODEC_PROFILES } from '../../src/audio/media/codec-profiles';
import { TestApp, createTestApp } from '../support/app';
import { amrNb, loudness, makeClip, makeMp3, probe } from './media';

function filesUnder(dir: string): string[] {
  let out: string[] = [];
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  for (const name of entries) {
    const p = join(dir, name);
    out = statSync(p).isDirectory() ? out.concat(filesUnder(p)) : out.concat(p);
  }
  return out;
}

// real encoding on a shared machine: a deadline, not a speed goal
jest.setTimeout(120_000);

describe('audio upload', () => {
  let t: TestApp;
  let officer: string;
  let viewer: string;
  let work: string;
  let mp3: string;
  const savedMax = process.env.AUDIO_MAX_SECONDS;

  beforeAll(async () => {
    process.env.AUDIO_MAX_SECONDS = '40';
    process.env.AUDIO_MAX_UPLOAD_BYTES = String(2 * 1024 * 1024);
    work = mkdtempSync(join(tmpdir(), 'dalaba-audio-'));
    mp3 = join(work, 'thirty.mp3');
    await makeMp3(mp3, 30);
    t = await createTestApp({ database: 'sqlite' });
    officer = (await t.createUser({ username: 'officer1', roles: ['officer'] })).token;
    viewer = (await t.createUser({ username: 'viewer1', roles: ['viewer'] })).token;
  });
  afterAll(async () => {
    delete process.env.AUDIO_MAX_UPLOAD_BYTES;
    if (savedMax === undefined) delete process.env.AUDIO_MAX_SECONDS;
    else process.env.AUDIO_MAX_SECONDS = savedMax;
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const clipDir = () => join(t.config.dataDir, 'audio');
  const uploadRows = async () =>
    (await t.dataSource.query(`SELECT COUNT(*) AS n FROM audio_clips WHERE kind = 'upload'`))[0].n as number;

  it('turns a 30 s MP3 into every declared variant: duration ±0.1 s, codec, bit rate, SM3, loudness target', async () => {
    const percents: number[] = [];
    const sub = t.app.get(AudioJobs).updates$.subscribe((j) => percents.push(j.percent));
    const res = await t.http
      .post('/api/audio/clips')
      .set(t.auth(officer))
      .attach('file', mp3)
      .field('title', '暴雨预警录音')
      .expect(202);
    expect(res.body.clip).toMatchObject({ kind: 'upload', title: '暴雨预警录音', state: 'processing' });
    const done = await t.app.get(AudioJobs).settled(res.body.job.id);
    sub.unsubscribe();
    expect(done).toMatchObject({ state: 'succeeded', percent: 100 });
    // progress came from ffmpeg's -progress output: rising, through intermediate values, to 100
    expect(percents.length).toBeGreaterThanOrEqual(2);
    expect(percents).toEqual([...percents].sort((a, b) => a - b));
    expect(percents[percents.length - 1]).toBe(100);
    const polled = await t.http.get(`/api/audio/jobs/${res.body.job.id}`).set(t.auth(viewer)).expect(200);
    expect(polled.body).toMatchObject({ state: 'succeeded', percent: 100, clipId: res.body.clip.id, error: null });

    const clip = (await t.http.get(`/api/audio/clips/${res.body.clip.id}`).set(t.auth(viewer)).expect(200)).body;
    expect(clip.state).toBe('ready');
    expect(clip.variants.map((v: { profile: string }) => v.profile).sort()).toEqual(
      CODEC_PROFILES.map((p) => p.id).sort(),
    );
    for (const profile of CODEC_PROFILES) {
      const v = clip.variants.find((x: { profile: string }) => x.profile === profile.id);
      const file = join(clipDir(), v.sha256.slice(0, 2), `${v.sha256}.${profile.extension}`);
      const facts = await probe(file);
      expect(facts.codec).toBe(profile.codec);
      expect(Math.abs(facts.seconds - 30)).toBeLessThanOrEqual(0.1);
      expect(Math.abs(v.durationMs - 30_000)).toBeLessThanOrEqual(100);
      expect(facts.channels).toBe(1);
      // MP3 declares its stream bit rate; Ogg Opus only the container's (payload + ~4 % Ogg overhead)
      const bitrate = facts.streamBitrate ?? facts.formatBitrate;
      expect(bitrate).toBeGreaterThanOrEqual(profile.bitrate * 0.95);
      expect(bitrate).toBeLessThanOrEqual(profile.bitrate * 1.1);
      const bytes = readFileSync(file);
      expect(v.sizeBytes).toBe(bytes.length);
      expect(v.sm3).toBe(sm3(bytes));
    }
    const mp3Variant = clip.variants.find((x: { profile: string }) => x.profile === 'mp3-64k');
    const lufs = await loudness(join(clipDir(), mp3Variant.sha256.slice(0, 2), `${mp3Variant.sha256}.mp3`));
    expect(Math.abs(lufs - -16)).toBeLessThanOrEqual(1);
    expect(filesUnder(join(clipDir(), 'tmp'))).toEqual([]);

    const audit = await t.http
      .get(`/api/audit?entityType=audio_clip&entityId=${clip.id}`)
      .set(t.auth(await t.adminToken()))
      .expect(200);
    expect(audit.body.items[0]).toMatchObject({ actorName: 'officer1', action: 'audio_clip.upload' });
  });

  it('serves previews with HTTP range requests', async () => {
    const list = (await t.http.get('/api/audio/clips?kind=upload').set(t.auth(viewer)).expect(200)).body;
    const v = list.items[0].variants.find((x: { profile: string }) => x.profile === 'mp3-64k');
    const whole = await t.http.get(v.url).set(t.auth(viewer)).buffer(true).expect(200);
    expect(whole.headers['accept-ranges']).toBe('bytes');
    expect(whole.headers['content-type']).toMatch(/^audio\/mpeg/);
    expect(Number(whole.headers['content-length'])).toBe(v.sizeBytes);
    const part = await t.http.get(v.url).set(t.auth(viewer)).set('Range', 'bytes=100-199').buffer(true).expect(206);
    expect(part.headers['content-range']).toBe(`bytes 100-199/${v.sizeBytes}`);
    expect(part.headers['accept-ranges']).toBe('bytes');
    expect(Buffer.compare(part.body, whole.body.subarray(100, 200))).toBe(0);
    const tail = await t.http.get(v.url).set(t.auth(viewer)).set('Range', 'bytes=-10').buffer(true).expect(206);
    expect(tail.body.length).toBe(10);
    const beyond = await t.http.get(v.url).set(t.auth(viewer)).set('Range', `bytes=${v.sizeBytes}-`).expect(416);
    expect(beyond.headers['content-range']).toBe(`bytes */${v.sizeBytes}`);
  });

  it.each([
    ['speech.wav', ['-c:a', 'pcm_s16le']],
    ['phone.m4a', ['-c:a', 'aac', '-b:a', '48k']],
    ['note.ogg', ['-c:a', 'libvorbis']],
    ['voice.opus.ogg', ['-c:a', 'libopus', '-b:a', '24k']],
    ['通话录音.amr', null],
  ])('accepts %s (what phones and PCs produce)', async (name, codecArgs) => {
    const file = join(work, name);
    if (codecArgs) await makeClip(file, 2, codecArgs);
    else writeFileSync(file, amrNb(2));
    const res = await t.http.post('/api/audio/clips').set(t.auth(officer)).attach('file', file).expect(202);
    expect(await t.app.get(AudioJobs).settled(res.body.job.id)).toMatchObject({ state: 'succeeded' });
    const clip = (await t.http.get(`/api/audio/clips/${res.body.clip.id}`).set(t.auth(officer)).expect(200)).body;
    expect(clip.title).toBe(name);
    expect(Math.abs(clip.durationMs - 2000)).toBeLessThanOrEqual(100);
  });

  describe('refuses bad uploads with the reason, storing nothing', () => {
    const refused = async (file: string, reason: RegExp) => {
      const rowsBefore = await uploadRows();
      const filesBefore = filesUnder(clipDir()).sort();
      const res = await t.http.post('/api/audio/clips').set(t.auth(officer)).attach('file', file).expect(400);
      expect(res.body).toMatchObject({
        statusCode: 400,
        code: 'validation_failed',
        details: [{ field: 'file', message: expect.stringMatching(reason) }],
      });
      expect(await uploadRows()).toBe(rowsBefore);
      expect(filesUnder(clipDir()).sort()).toEqual(filesBefore);
    };

    it('a text file renamed .mp3', async () => {
      const file = join(work, 'notes.mp3');
      writeFileSync(file, '这不是录音，只是一段文字。\n'.repeat(50));
      await refused(file, /not a decodable audio file/);
    });

    it('a truncated MP3', async () => {
      const file = join(work, 'truncated.mp3');
      copyFileSync(mp3, file);
      truncateSync(file, Math.floor(statSync(mp3).size * 0.4));
      await refused(file, /truncated: its headers declare 30\.\d s but only 1\d\.\d s decode/);
    });

    it('a recording longer than the configured limit (40 s here)', async () => {
      const file = join(work, 'long.mp3');
      await makeMp3(file, 45);
      await refused(file, /lasts 45\.\d s, longer than the limit of 40 s/);
    });
  });

  it('refuses deletion (409) while an alert refers to the clip, then deletes row and files', async () => {
    const list = (await t.http.get('/api/audio/clips?kind=upload').set(t.auth(officer)).expect(200)).body;
    const clip = list.items[0];
    const referring = new Set([clip.id]);
    t.app.get(ClipReferences).register({
      name: 'test-alerts',
      find: (id) => Promise.resolve(referring.has(id) ? [{ kind: 'alert', id: 12, label: '暴雨红色预警' }] : []),
    });
    const refused = await t.http.delete(`/api/audio/clips/${clip.id}`).set(t.auth(officer)).expect(409);
    expect(refused.body).toMatchObject({
      code: 'clip_in_use',
      message: `clip ${clip.id} is still used by alert 12 (暴雨红色预警)`,
    });
    await t.http.get(`/api/audio/clips/${clip.id}`).set(t.auth(officer)).expect(200);

    const other = (await t.createUser({ username: 'officer2', roles: ['officer'], scopes: ['341523100000'] })).token;
    const foreign = await t.http.delete(`/api/audio/clips/${clip.id}`).set(t.auth(other)).expect(403);
    expect(foreign.body).toMatchObject({ code: 'forbidden' });
    await t.http.delete(`/api/audio/clips/${clip.id}`).set(t.auth(viewer)).expect(403);

    referring.clear();
    await t.http.delete(`/api/audio/clips/${clip.id}`).set(t.auth(officer)).expect(204);
    await t.http.get(`/api/audio/clips/${clip.id}`).set(t.auth(officer)).expect(404);
    for (const v of clip.variants) expect(filesUnder(clipDir()).some((f) => f.includes(v.sha256))).toBe(false);
    const audit = await t.http
      .get(`/api/audit?entityType=audio_clip&entityId=${clip.id}`)
      .set(t.auth(await t.adminToken()))
      .expect(200);
    expect(audit.body.items[0]).toMatchObject({ actorName: 'officer1', action: 'audio_clip.delete' });
  });

  it('refuses a file over the size limit (2 MiB here) with 413, storing nothing', async () => {
    const rowsBefore = await uploadRows();
    const res = await t.http
      .post('/api/audio/clips')
      .set(t.auth(officer))
      .attach('file', Buffer.alloc(3 * 1024 * 1024, 1), 'big.wav')
      .expect(413);
    expect(res.body).toMatchObject({ statusCode: 413, code: 'payload_too_large' });
    expect(await uploadRows()).toBe(rowsBefore);
  });

  it('waits for a clip another instance is processing until its row leaves processing, and reports how it ended', async () => {
    // no job of this instance works on it: only the row can say when it ends (here it is failed, as a survivor fails
    // the work of an instance that stopped)
    const clips = t.app.get(ClipRepository);
    const id = 'clip-elsewhere';
    await clips.insertClip({
      id,
      kind: 'upload',
      title: 'elsewhere',
      state: 'processing',
      error: null,
      source: null,
      durationMs: null,
      createdById: null,
      createdAt: new Date(),
    });
    let ended = false;
    const settled = t.app
      .get(AudioService)
      .settled(id)
      .finally(() => (ended = true));
    await clips.findClip(id);
    expect(ended).toBe(false);
    await clips.updateClip(id, { state: 'failed', error: 'interrupted: instance B, which was processing it, stopped' });
    await expect(settled).resolves.toMatchObject({ id, state: 'failed' });
  });

  it('lets only officers upload, and names a missing file', async () => {
    await t.http.post('/api/audio/clips').set(t.auth(viewer)).attach('file', mp3).expect(403);
    const res = await t.http.post('/api/audio/clips').set(t.auth(officer)).field('title', 'x').expect(400);
    expect(res.body.details).toEqual([{ field: 'file', message: 'no file was sent (multipart field "file")' }]);
  });
});
