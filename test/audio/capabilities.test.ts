/**
 * On a machine without ffmpeg or espeak-ng the server still starts, says which audio features are off and why, and
 * refuses those features with 503 (simulated by pointing the tool paths at nothing).
 */
import { Logger } from '@nestjs/common';
import { TestApp, createTestApp } from '../support/app';

describe('audio on a machine without its tools', () => {
  let t: TestApp;
  const saved = { ffmpeg: process.env.AUDIO_FFMPEG, espeak: process.env.AUDIO_ESPEAK };

  const warn = jest.spyOn(Logger.prototype, 'warn');

  beforeAll(async () => {
    process.env.AUDIO_FFMPEG = '/nonexistent/ffmpeg';
    process.env.AUDIO_ESPEAK = '/nonexistent/espeak-ng';
    t = await createTestApp({ database: 'sqlite' });
  });
  afterAll(async () => {
    for (const [k, v] of [
      ['AUDIO_FFMPEG', saved.ffmpeg],
      ['AUDIO_ESPEAK', saved.espeak],
    ] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await t?.close();
    warn.mockRestore();
  });

  it('starts and says in a log line which features are off', () => {
    const lines = warn.mock.calls.map((c) => String(c[0]));
    expect(lines).toContainEqual(
      expect.stringMatching(/^audio features off: upload \(ffmpeg: .*\), tts \(.*espeak-ng.*\), tones \(.*\)$/),
    );
  });

  it('reports which features are off at /api/audio/capabilities', async () => {
    const admin = await t.adminToken();
    const res = await t.http.get('/api/audio/capabilities').set(t.auth(admin)).expect(200);
    expect(res.body.features).toEqual({ upload: false, tts: false, tones: false, preview: true });
    const off = Object.fromEntries(res.body.off.map((o: { feature: string; reason: string }) => [o.feature, o.reason]));
    expect(off.upload).toMatch(/ffmpeg: \/nonexistent\/ffmpeg is not installed/);
    expect(off.tts).toMatch(/espeak-ng.*\/nonexistent\/espeak-ng is not installed/);
    const tools = Object.fromEntries(
      res.body.tools.map((x: { name: string; available: boolean }) => [x.name, x.available]),
    );
    expect(tools.ffmpeg).toBe(false);
  });

  it('refuses uploads and speech with 503 naming the reason, and keeps tones pending', async () => {
    const admin = await t.adminToken();
    const upload = await t.http
      .post('/api/audio/clips')
      .set(t.auth(admin))
      .attach('file', Buffer.from('RIFF'), 'a.wav')
      .expect(503);
    expect(upload.body).toMatchObject({ code: 'audio_unavailable', details: { feature: 'upload' } });
    const tts = await t.http.post('/api/audio/tts').set(t.auth(admin)).send({ text: '请注意' }).expect(503);
    expect(tts.body).toMatchObject({ code: 'audio_unavailable', details: { feature: 'tts' } });
    const tone = await t.http.get('/api/audio/clips/tone-air-raid').set(t.auth(admin)).expect(200);
    expect(tone.body.state).toBe('pending');
  });

  it('documents the audio endpoints in OpenAPI', async () => {
    const doc = (await t.http.get('/api/docs/openapi.json').expect(200)).body;
    for (const path of [
      '/api/audio/capabilities',
      '/api/audio/clips',
      '/api/audio/clips/{id}',
      '/api/audio/tts',
      '/api/audio/jobs/{id}',
      '/api/audio/clips/{id}/variants/{profile}/content',
    ]) {
      expect(doc.paths[path]).toBeDefined();
    }
    expect(doc.paths['/api/audio/clips'].post.requestBody.content['multipart/form-data']).toBeDefined();
  });
});
