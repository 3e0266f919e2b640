/**
 * The alerts list, tone provisioning and audio jobs on the live channel: a client subscribed to `alerts` gets every
 * alert that changes and reaches into its scope — and nothing about alerts elsewhere; `provisioning` is for
 * technicians and officers only; `audioJob` (a job's progress) for those who use the audio library. Waits on the
 * clients' own messages (deltas reach one client in order).
 */
import { io, type Socket } from 'socket.io-client';
import type { AlertView } from '../../src/alerts/alert-view';
import { type AudioJob, AudioJobs, type JobHandle } from '../../src/audio/jobs/audio-jobs';
import type { SubscribeReply } from '../../src/live/live-hub';
import type { LiveDelta } from '../../src/live/live-payload';
import { TEST_USER_PASSWORD, createTestApp, type TestApp } from '../support/app';

const COUNTY = '341523000000';
const TOWN_A = '341523100000';
const TOWN_B = '341523101000';

async function connect(baseUrl: string, token: string) {
  const socket: Socket = io(`${baseUrl}/live`, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const seen: AlertView[] = [];
  const waiters: { holds: (a: AlertView) => boolean; resolve: () => void }[] = [];
  socket.on('delta', (d: LiveDelta) => {
    for (const a of d.alerts ?? []) {
      seen.push(a);
      for (const w of [...waiters])
        if (w.holds(a)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    }
  });
  const until = (holds: (a: AlertView) => boolean): Promise<void> =>
    seen.some(holds) ? Promise.resolve() : new Promise((resolve) => waiters.push({ holds, resolve }));
  const subscribe = async (kind: string, id: string | null = null): Promise<SubscribeReply> =>
    (await socket.timeout(10_000).emitWithAck('subscribe', { kind, id })) as SubscribeReply;
  return { socket, seen, until, subscribe };
}

describe('alerts and tone provisioning on /live', () => {
  let t: TestApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    const admin = await t.adminToken();
    for (const [code, name] of [
      [COUNTY, '舒城县'],
      [TOWN_A, '城关镇'],
      [TOWN_B, '干汊河镇'],
    ]) {
      await t.http.post('/api/regions').set(t.auth(admin)).send({ code, name }).expect(201);
    }
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t?.close();
  });

  const draft = (officer: string, town: string, title: string) =>
    t.http
      .post('/api/alerts')
      .set(t.auth(officer))
      .send({
        eventType: '11B03',
        severity: 2,
        messageType: 'terminalDrill',
        title,
        text: '演练',
        targets: { areaCodes: [town] },
        audio: { kind: 'tone', toneId: 'tone-chime' },
        endAt: new Date(Date.now() + 3_600_000).toISOString(),
      })
      .expect(201);

  it('pushes each alert as it changes to the watchers who see it, and never to a watcher of another town', async () => {
    const officer = (await t.createUser({ username: 'officer1', roles: ['officer'], scopes: [COUNTY] })).token;
    const a = await connect(
      t.baseUrl,
      (await t.createUser({ username: 'viewer-a', roles: ['viewer'], scopes: [TOWN_A] })).token,
    );
    const b = await connect(
      t.baseUrl,
      (await t.createUser({ username: 'viewer-b', roles: ['viewer'], scopes: [TOWN_B] })).token,
    );
    sockets.push(a.socket, b.socket);
    await expect(a.subscribe('alerts')).resolves.toMatchObject({ ok: true });
    await expect(b.subscribe('alerts')).resolves.toMatchObject({ ok: true });

    const inA = (await draft(officer, TOWN_A, '城关镇演练')).body as AlertView;
    await a.until((x) => x.id === inA.id && x.state === 'draft');
    await t.http.post(`/api/alerts/${inA.id}/submit`).set(t.auth(officer)).expect(200);
    await a.until((x) => x.id === inA.id && x.state === 'submitted');

    // B hears of its own town's alert, written after A's: had A's reached B, it would have come first
    const inB = (await draft(officer, TOWN_B, '干汊河镇演练')).body as AlertView;
    await b.until((x) => x.id === inB.id);
    expect(b.seen.map((x) => x.id)).not.toContain(inA.id);
    expect(a.seen.map((x) => x.id)).not.toContain(inB.id);
  });

  it('gives tone provisioning to technicians and officers within their scope, and refuses it to a viewer', async () => {
    const viewer = await connect(
      t.baseUrl,
      (await t.createUser({ username: 'viewer-c', roles: ['viewer'], scopes: [COUNTY] })).token,
    );
    const tech = await connect(
      t.baseUrl,
      (await t.createUser({ username: 'tech-a', roles: ['technician'], scopes: [TOWN_A] })).token,
    );
    sockets.push(viewer.socket, tech.socket);
    await expect(viewer.subscribe('provisioning', COUNTY)).resolves.toMatchObject({ ok: false, code: 'forbidden' });
    await expect(tech.subscribe('provisioning', TOWN_B)).resolves.toMatchObject({ ok: false, code: 'forbidden_area' });
    const mine = await tech.subscribe('provisioning', TOWN_A);
    if (!mine.ok) throw new Error(mine.message);
    expect(mine.snapshot.provisioning?.[0]).toMatchObject({
      areaCode: TOWN_A,
      view: { tones: expect.any(Array), buses: expect.any(Object) },
    });
  });

  it('answers the composer’s code tables: event types with names and severities, message types with the drills marked', async () => {
    const officer = await t.login('officer1', TEST_USER_PASSWORD);
    const codes = (await t.http.get('/api/alerts/codes').set(t.auth(officer)).expect(200)).body;
    expect(codes.eventTypes).toContainEqual({ code: '11B03', name: '暴雨', severities: [1, 2, 3, 4] });
    expect(codes.messageTypes).toContainEqual({ key: 'terminalDrill', drill: true });
    expect(codes.messageTypes).toContainEqual({ key: 'real', drill: false });
    await t.http.get('/api/alerts/codes').expect(401);
  });
  it('pushes an audio job’s progress to those who use the audio library, and refuses it to a viewer or technician', async () => {
    let handle: JobHandle | undefined;
    let finish = (): void => undefined;
    const job = t.app.get(AudioJobs).start('tts', 'clip-under-test', (h) => {
      handle = h;
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const viewer = await connect(t.baseUrl, await t.login('viewer-c', TEST_USER_PASSWORD));
    const tech = await connect(t.baseUrl, await t.login('tech-a', TEST_USER_PASSWORD));
    const officer = await connect(t.baseUrl, await t.login('officer1', TEST_USER_PASSWORD));
    sockets.push(viewer.socket, tech.socket, officer.socket);
    await expect(viewer.subscribe('audioJob', job.id)).resolves.toMatchObject({ ok: false, code: 'forbidden' });
    await expect(tech.subscribe('audioJob', job.id)).resolves.toMatchObject({ ok: false, code: 'forbidden' });
    await expect(officer.subscribe('audioJob', '../jobs')).resolves.toMatchObject({
      ok: false,
      code: 'invalid_subscription',
    });
    await expect(officer.subscribe('audioJob', '00000000-0000-4000-8000-000000000000')).resolves.toMatchObject({
      ok: false,
      code: 'not_found',
    });

    const seen: AudioJob[] = [];
    const waiters: { holds: (j: AudioJob) => boolean; resolve: () => void }[] = [];
    officer.socket.on('delta', (d: LiveDelta) => {
      for (const j of d.audioJobs ?? []) {
        seen.push(j);
        for (const w of [...waiters]) if (w.holds(j)) w.resolve();
      }
    });
    const until = (holds: (j: AudioJob) => boolean): Promise<void> =>
      seen.some(holds) ? Promise.resolve() : new Promise((resolve) => waiters.push({ holds, resolve }));
    const reply = await officer.subscribe('audioJob', job.id);
    if (!reply.ok) throw new Error(reply.message);
    expect(reply.snapshot.audioJobs).toEqual([expect.objectContaining({ id: job.id, percent: 0 })]);
    handle!.progress(40);
    await until((j) => j.id === job.id && j.state === 'running' && j.percent === 40);
    finish();
    await until((j) => j.id === job.id && j.state === 'succeeded' && j.percent === 100);
    expect(seen.every((j) => j.id === job.id)).toBe(true);
  });
});
