/**
 * /live across instances through Redis (DALABA_REDIS_URL, docs/cluster.md): two servers on one database and one Redis
 * (its own key prefix per test, so parallel runs do not hear each other). A change made on A reaches the clients of
 * B who see it, by the same scope rules as on A, once; a town administrator on B never hears of another town's.
 * Without Redis reachable, an instance serves its own clients as alone and /health says Redis is down.
 * Waits on the clients' own messages (deltas reach one client in order), never on time.
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import type { AlertView } from '../../src/alerts/alert-view';
import { AlertsService } from '../../src/alerts/alerts.service';
import { LiveFanout } from '../../src/live/live-fanout';
import type { SubscribeReply } from '../../src/live/live-hub';
import type { LiveDelta } from '../../src/live/live-payload';
import { RedisLink } from '../../src/live/redis-link';
import { TEST_USER_PASSWORD, createTestApp, type TestApp } from '../support/app';
import { describeWith } from '../support/capabilities';

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
  /** How many times the alert came in the state given (each change of an alert is one entry). */
  const times = (id: number, state: string): number => seen.filter((a) => a.id === id && a.state === state).length;
  return { socket, seen, until, subscribe, times };
}

function draft(t: TestApp, officer: string, town: string, title: string): Promise<AlertView> {
  return t.http
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
    .expect(201)
    .then((res) => res.body as AlertView);
}

async function regions(t: TestApp): Promise<void> {
  const admin = await t.adminToken();
  for (const [code, name] of [
    [COUNTY, '舒城县'],
    [TOWN_A, '城关镇'],
    [TOWN_B, '干汊河镇'],
  ])
    await t.http.post('/api/regions').set(t.auth(admin)).send({ code, name }).expect(201);
}

/** Resolves once `count` servers of /live listen on this prefix's channel (each subscribes as its Redis connects). */
async function listening(t: TestApp, count: number): Promise<void> {
  const link = t.app.get(RedisLink);
  if (!link.up) await new Promise<void>((resolve) => link.state.subscribe((s) => s === 'up' && resolve()));
  const fanout = t.app.get(LiveFanout);
  while ((await fanout.servers()) < count) await new Promise((r) => setImmediate(r));
}

describeWith(['redis'], '/live across two instances sharing Redis', () => {
  let a: TestApp;
  let b: TestApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const env = {
      DALABA_REDIS_URL: process.env.TEST_REDIS_URL ?? '',
      DALABA_REDIS_PREFIX: `dalaba-test-${randomUUID()}`,
    };
    a = await createTestApp({ database: 'sqlite', env: { ...env, DALABA_INSTANCE_ID: 'live-a' } });
    b = await createTestApp({ database: 'sqlite', db: a.db, env: { ...env, DALABA_INSTANCE_ID: 'live-b' } });
    await regions(a);
    await listening(a, 2);
    await listening(b, 2);
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await b?.close();
    await a?.close();
  });

  it('brings each change made on one instance to the clients of the other who see it, once, and echoes nothing back', async () => {
    const onA = await connect(
      a.baseUrl,
      (await a.createUser({ username: 'viewer-county', roles: ['viewer'], scopes: [COUNTY] })).token,
    );
    const onB = await connect(
      b.baseUrl,
      (await a.createUser({ username: 'viewer-a', roles: ['viewer'], scopes: [TOWN_A] })).token,
    );
    sockets.push(onA.socket, onB.socket);
    for (const c of [onA, onB]) await expect(c.subscribe('alerts')).resolves.toMatchObject({ ok: true });
    // changes straight into each server's alerts stream, so that nothing else (an alert's audio settling) adds any
    const change = (t: TestApp, id: number): void =>
      t.app.get(AlertsService).changes.next({ alert: { id, state: 'draft' } as AlertView, areaCodes: [TOWN_A] });

    change(a, 9001);
    change(b, 9002);
    for (const c of [onA, onB]) for (const id of [9001, 9002]) await c.until((x) => x.id === id);
    // one more round each way: an echo of the first two (A → B → A) would have arrived before these
    change(a, 9003);
    await onB.until((x) => x.id === 9003);
    change(b, 9004);
    for (const c of [onA, onB]) await c.until((x) => x.id === 9004);
    for (const c of [onA, onB]) expect(c.seen.map((x) => x.id).sort()).toEqual([9001, 9002, 9003, 9004]);
    const [fa, fb] = [a.app.get(LiveFanout).counts, b.app.get(LiveFanout).counts];
    expect(fb.received).toBe(fa.published);
    expect(fa.received).toBe(fb.published);
    expect(fa.skipped + fb.skipped).toBe(0);
  });

  it('keeps a town administrator on B to his town: a change made on A elsewhere never reaches him', async () => {
    const officer = (await a.createUser({ username: 'officer1', roles: ['officer'], scopes: [COUNTY] })).token;
    const viewerOnB = await connect(b.baseUrl, await a.login('viewer-a', TEST_USER_PASSWORD));
    const townAdminOnB = await connect(
      b.baseUrl,
      (await a.createUser({ username: 'admin-b', roles: ['admin'], scopes: [TOWN_B] })).token,
    );
    sockets.push(viewerOnB.socket, townAdminOnB.socket);
    for (const c of [viewerOnB, townAdminOnB]) await expect(c.subscribe('alerts')).resolves.toMatchObject({ ok: true });

    const inA = await draft(a, officer, TOWN_A, '城关镇演练');
    await viewerOnB.until((x) => x.id === inA.id);
    // his own town's alert, made on A after the first: had the first reached him, it would have come before
    const inB = await draft(a, officer, TOWN_B, '干汊河镇演练');
    await townAdminOnB.until((x) => x.id === inB.id);
    expect(townAdminOnB.seen.map((x) => x.id)).not.toContain(inA.id);
    // nor does a later one, made on A in the other town before another of his
    const inA2 = await draft(a, officer, TOWN_A, '城关镇演练二');
    const inB2 = await draft(a, officer, TOWN_B, '干汊河镇演练二');
    await viewerOnB.until((x) => x.id === inA2.id);
    await townAdminOnB.until((x) => x.id === inB2.id);
    expect(townAdminOnB.seen.map((x) => x.id)).not.toContain(inA.id);
    expect(townAdminOnB.seen.map((x) => x.id)).not.toContain(inA2.id);
    expect(viewerOnB.seen.map((x) => x.id)).not.toContain(inB.id);
  });

  it('takes only WebSocket connections (no sticky sessions needed), and /health says Redis is up', async () => {
    const res = await b.http.get('/socket.io/?EIO=4&transport=polling').expect(400);
    expect(res.body).toMatchObject({ message: 'Transport unknown' });
    const health = await b.http.get('/health').expect(200);
    expect(health.body.info.cluster).toMatchObject({ status: 'up', instanceId: 'live-b', redis: { status: 'up' } });
    const metrics = (await b.http.get('/metrics').expect(200)).text;
    expect(metrics).toContain('dalaba_redis_up 1');
    expect(metrics).toMatch(/dalaba_live_fanout_changes_total\{direction="received"\} [1-9]/);
  });
});

describe('/live with Redis configured but unreachable', () => {
  let t: TestApp;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    // a port just freed: nobody listens there, every connection attempt is refused
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port } = s.address() as { port: number };
        s.close(() => resolve(port));
      });
    });
    t = await createTestApp({ database: 'sqlite', env: { DALABA_REDIS_URL: `redis://127.0.0.1:${port}` } });
    await regions(t);
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t?.close();
  });

  it('still brings its own changes to its own clients, and /health says Redis is down while staying healthy', async () => {
    const officer = (await t.createUser({ username: 'officer1', roles: ['officer'], scopes: [COUNTY] })).token;
    const viewer = await connect(
      t.baseUrl,
      (await t.createUser({ username: 'viewer-a', roles: ['viewer'], scopes: [TOWN_A] })).token,
    );
    sockets.push(viewer.socket);
    await expect(viewer.subscribe('alerts')).resolves.toMatchObject({ ok: true });
    const alert = await draft(t, officer, TOWN_A, '城关镇演练');
    await viewer.until((x) => x.id === alert.id);
    expect(t.app.get(LiveFanout).counts).toMatchObject({ published: 0, skipped: expect.any(Number) });
    expect(t.app.get(LiveFanout).counts.skipped).toBeGreaterThan(0);
    const health = await t.http.get('/health').expect(200);
    expect(health.body.info.cluster).toMatchObject({ status: 'up', redis: { status: 'down' } });
    expect((await t.http.get('/metrics').expect(200)).text).toContain('dalaba_redis_up 0');
  });
});
