/**
 * An alert spoken by text-to-speech: the speech is synthesised when the alert is written, approval waits for it
 * (409 until ready), and the one-key emergency path waits for it before going on air.
 */
import { AudioService } from '../../src/audio/audio.service';
import { BroadcastEntity } from '../../src/dispatch/broadcast.entities';
import { TestApp, createTestApp } from '../support/app';
import { TOWN_A, buildCounty } from '../registry/fixture';

// real synthesis and encoding on a shared machine: a deadline, not a speed goal
jest.setTimeout(120_000);

describe('alerts spoken by text-to-speech', () => {
  let t: TestApp;
  let officer: string;
  let approver: string;

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    const admin = await t.adminToken();
    await buildCounty(t, admin, 1);
    officer = (await t.createUser({ username: 'officer', roles: ['officer'], scopes: [TOWN_A] })).token;
    approver = (await t.createUser({ username: 'approver', roles: ['approver'], scopes: [TOWN_A] })).token;
  });
  afterAll(() => t?.close());
  const clipOnAir = async (alertId: number) =>
    (await t.dataSource.getRepository(BroadcastEntity).findOneByOrFail({ alertId })).clipId;

  const body = (text: string) => ({
    eventType: '11B06',
    severity: 3,
    messageType: 'real',
    title: '大风黄色预警',
    text,
    targets: { areaCodes: [TOWN_A] },
    audio: { kind: 'tts' },
    endAt: new Date(Date.now() + 3600_000).toISOString(),
  });

  it('synthesises the text when written, again when the text changes, and goes on air with the ready clip', async () => {
    const a = (await t.http.post('/api/alerts').set(t.auth(officer)).send(body('今天下午有大风。')).expect(201))
      .body as { id: number; clipId: string };
    const first = a.clipId;
    const same = await t.http.patch(`/api/alerts/${a.id}`).set(t.auth(officer)).send({ volume: 70 }).expect(200);
    expect(same.body.clipId).toBe(first);
    const changed = await t.http
      .patch(`/api/alerts/${a.id}`)
      .set(t.auth(officer))
      .send({ text: '今天下午有八级大风，请注意安全。' })
      .expect(200);
    expect(changed.body.clipId).not.toBe(first);
    await t.http.post(`/api/alerts/${a.id}/submit`).set(t.auth(officer)).expect(200);
    const clip = await t.app.get(AudioService).settled(changed.body.clipId);
    expect(clip).toMatchObject({ kind: 'tts', state: 'ready', source: '今天下午有八级大风，请注意安全。' });
    await t.http.post(`/api/alerts/${a.id}/approve`).set(t.auth(approver)).expect(200);
    expect(await clipOnAir(a.id)).toBe(changed.body.clipId);
    const inUse = await t.http
      .delete(`/api/audio/clips/${changed.body.clipId}`)
      .set(t.auth(await t.adminToken()))
      .expect(409);
    expect(inUse.body.code).toBe('clip_in_use');
  });

  it('waits for the speech, and the tone joined before it, on the emergency path', async () => {
    const spoken = { ...body('请立即转移到安全地带。'), audio: { kind: 'tts', toneBefore: 'tone-chime' } };
    const res = await t.http
      .post('/api/alerts/emergency')
      .set(t.auth(officer))
      .send({ ...spoken, reason: '大风已至' })
      .expect(201);
    expect(res.body.state).toBe('dispatching');
    const clip = await t.app.get(AudioService).get(res.body.clipId);
    expect(clip).toMatchObject({ kind: 'composed', state: 'ready' });
    expect(await clipOnAir(res.body.id)).toBe(res.body.clipId);
  });
});
