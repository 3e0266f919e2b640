/**
 * Mandarin text-to-speech: a sentence with a date and a time is read the Chinese way (no digits reach the engine,
 * the phonemes are Mandarin syllables with tones, no English), and becomes a clip of plausible duration.
 */
import { AudioJobs } from '../../src/audio/jobs/audio-jobs';
import { CODEC_PROFILES } from '../../src/audio/media/codec-profiles';
import { TestApp, createTestApp } from '../support/app';

const SENTENCE = '2024年10月23日 14:30起，我县将出现暴雨天气，请注意防范。';
const SPOKEN = '二〇二四年十月二十三日 十四点三十分起，我县将出现暴雨天气，请注意防范。';

// real encoding on a shared machine: a deadline, not a speed goal
jest.setTimeout(120_000);

describe('Mandarin text-to-speech', () => {
  let t: TestApp;
  let officer: string;

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    officer = (await t.createUser({ username: 'officer1', roles: ['officer'] })).token;
  });
  afterAll(() => t?.close());

  it('reads the date and time as Mandarin words, in Mandarin phonemes', async () => {
    const res = await t.http.post('/api/audio/tts/phonemes').set(t.auth(officer)).send({ text: SENTENCE }).expect(200);
    expect(res.body.spokenText).toBe(SPOKEN);
    const phonemes: string = res.body.phonemes;
    expect(phonemes).not.toMatch(/\(en\)/); // espeak-ng marks a switch to English this way
    const syllables = phonemes.split(/[_|\s]+/).filter((s) => s !== '');
    expect(syllables.length).toBeGreaterThanOrEqual(30);
    // every syllable carries a Mandarin tone contour (55, 35, 214, 51 …); English digit names would not
    for (const s of syllables) expect(s).toMatch(/[1-5]{2,3}/);
  });

  it('synthesises a clip of plausible duration with every variant', async () => {
    const res = await t.http
      .post('/api/audio/tts')
      .set(t.auth(officer))
      .send({ text: SENTENCE, title: '暴雨提示', speed: 1, volume: 100 })
      .expect(202);
    expect(await t.app.get(AudioJobs).settled(res.body.job.id)).toMatchObject({ state: 'succeeded', percent: 100 });
    const clip = (await t.http.get(`/api/audio/clips/${res.body.clip.id}`).set(t.auth(officer)).expect(200)).body;
    expect(clip).toMatchObject({ kind: 'tts', title: '暴雨提示', state: 'ready', source: SENTENCE });
    const hanzi = [...SPOKEN].filter((c) => /[\u4e00-\u9fff\u3007]/.test(c)).length;
    // a calm announcer speaks 2–6 characters a second
    expect(clip.durationMs / 1000).toBeGreaterThan(hanzi / 6);
    expect(clip.durationMs / 1000).toBeLessThan(hanzi / 2);
    expect(clip.variants).toHaveLength(CODEC_PROFILES.length);
    for (const v of clip.variants) expect(Math.abs(v.durationMs - clip.durationMs)).toBeLessThanOrEqual(100);
  });

  it('refuses empty text and text without Chinese, naming the field', async () => {
    const empty = await t.http.post('/api/audio/tts').set(t.auth(officer)).send({ text: '   ' }).expect(400);
    expect(empty.body.details).toEqual([{ field: 'text', message: 'text is empty' }]);
    const latin = await t.http.post('/api/audio/tts').set(t.auth(officer)).send({ text: 'hello' }).expect(400);
    expect(latin.body.details[0]).toMatchObject({ field: 'text' });
  });
});
