/**
 * A playlist programme of several library clips plays them all, in order: the server composes them into one library
 * clip (the audio library's compose job, real ffmpeg) that the terminals store and loop to the slot's end. Composed
 * again only when the list changes; the composed clip cannot be deleted while a programme plays it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioService } from '../../src/audio/audio.service';
import { playSource } from '../../src/relay/planner/slot-plan';
import type { ProgrammeSource } from '../../src/relay/relay.entities';
import { makeMp3 } from '../audio/media';
import { COUNTY, buildCounty } from '../registry/fixture';
import { TestApp, createTestApp } from '../support/app';

// real encoding on a shared machine: a deadline, not a speed goal
jest.setTimeout(120_000);

describe('relay playlists [sqlite]', () => {
  let t: TestApp;
  let officer: string;
  let work: string;
  const clips: string[] = [];

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'dalaba-playlist-'));
    t = await createTestApp({ database: 'sqlite' });
    const admin = await t.adminToken();
    await buildCounty(t, admin, 1);
    officer = (await t.createUser({ username: 'officer-pl', roles: ['officer'], scopes: [COUNTY] })).token;
    for (const [i, seconds] of [2, 3].entries()) {
      const file = join(work, `part-${i}.mp3`);
      await makeMp3(file, seconds);
      const res = await t.http
        .post('/api/audio/clips')
        .set(t.auth(officer))
        .attach('file', file)
        .field('title', `第${i + 1}段`)
        .expect(202);
      expect((await t.app.get(AudioService).settled(res.body.clip.id)).state).toBe('ready');
      clips.push(res.body.clip.id as string);
    }
  });
  afterAll(async () => {
    await t?.close();
    rmSync(work, { recursive: true, force: true });
  });

  const create = async (clipIds: string[]) =>
    (
      await t.http
        .post('/api/relay/programmes')
        .set(t.auth(officer))
        .send({
          name: '政策宣传',
          source: { kind: 'playlist', clipIds },
          priorityClass: 'county',
          targets: { areaCodes: [COUNTY] },
        })
        .expect(201)
    ).body as { id: number; source: ProgrammeSource };

  it('plays every clip of the list in order as one composed clip, as long as the parts together', async () => {
    const p = await create(clips);
    const composed = p.source.composedClipId;
    expect(composed).toEqual(expect.any(String));
    expect(playSource(p.source)).toEqual({ clipId: composed });
    const clip = await t.app.get(AudioService).settled(composed!);
    expect(clip).toMatchObject({ kind: 'composed', state: 'ready' });
    const parts = await Promise.all(clips.map((id) => t.app.get(AudioService).get(id)));
    const sum = parts.reduce((n, c) => n + (c.durationMs ?? 0), 0);
    expect(Math.abs((clip.durationMs ?? 0) - sum)).toBeLessThan(300);

    // a change that leaves the list alone keeps the composed clip; another order composes anew
    const renamed = await t.http
      .patch(`/api/relay/programmes/${p.id}`)
      .set(t.auth(officer))
      .send({ volume: 60 })
      .expect(200);
    expect(renamed.body.source.composedClipId).toBe(composed);
    const reordered = await t.http
      .patch(`/api/relay/programmes/${p.id}`)
      .set(t.auth(officer))
      .send({ source: { kind: 'playlist', clipIds: [...clips].reverse() } })
      .expect(200);
    expect(reordered.body.source.composedClipId).toEqual(expect.any(String));
    expect(reordered.body.source.composedClipId).not.toBe(composed);
    await t.app.get(AudioService).settled(reordered.body.source.composedClipId);
  });

  it('plays a one-clip list as that clip, and keeps the composed clip from being deleted while it plays', async () => {
    const single = await create([clips[0]]);
    expect(single.source.composedClipId).toBeUndefined();
    expect(playSource(single.source)).toEqual({ clipId: clips[0] });

    const p = await create(clips);
    await t.app.get(AudioService).settled(p.source.composedClipId!);
    const refused = await t.http.delete(`/api/audio/clips/${p.source.composedClipId}`).set(t.auth(officer)).expect(409);
    expect(refused.body.code).toBe('clip_in_use');
  });
});
