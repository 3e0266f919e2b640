/**
 * /live across instances when Redis goes away and comes back (docs/cluster.md): a Redis server of the test's own, on a
 * free port, stopped and started again under two servers. Meanwhile each still brings its own changes to its own
 * clients and says Redis is down; once it is back, changes flow between them again without a restart.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { io, type Socket } from 'socket.io-client';
import type { AlertView } from '../../src/alerts/alert-view';
import { AlertsService } from '../../src/alerts/alerts.service';
import { LiveFanout } from '../../src/live/live-fanout';
import type { SubscribeReply } from '../../src/live/live-hub';
import type { LiveDelta } from '../../src/live/live-payload';
import { RedisLink, type RedisState } from '../../src/live/redis-link';
import { createTestApp, type TestApp } from '../support/app';
import { describeWith } from '../support/capabilities';

const COUNTY = '341523000000';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server; resolves once it accepts connections. */
function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
  ]);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
}

function stopRedis(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

function state(t: TestApp, wanted: RedisState): Promise<void> {
  return new Promise((resolve) => {
    const sub = t.app.get(RedisLink).state.subscribe((s) => {
      if (s !== wanted) return;
      resolve();
      queueMicrotask(() => sub.unsubscribe());
    });
  });
}

async function listening(t: TestApp, count: number): Promise<void> {
  await state(t, 'up');
  const fanout = t.app.get(LiveFanout);
  while ((await fanout.servers()) < count) await new Promise((r) => setImmediate(r));
}

async function watcher(t: TestApp, token: string) {
  const socket: Socket = io(`${t.baseUrl}/live`, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const seen: number[] = [];
  const waiters = new Map<number, () => void>();
  socket.on('delta', (d: LiveDelta) => {
    for (const a of d.alerts ?? []) {
      seen.push(a.id);
      waiters.get(a.id)?.();
    }
  });
  const reply = (await socket.timeout(10_000).emitWithAck('subscribe', { kind: 'alerts', id: null })) as SubscribeReply;
  expect(reply).toMatchObject({ ok: true });
  const until = (id: number): Promise<void> =>
    seen.includes(id) ? Promise.resolve() : new Promise((resolve) => waiters.set(id, resolve));
  return { socket, seen, until };
}

const change = (t: TestApp, id: number): void =>
  t.app.get(AlertsService).changes.next({ alert: { id, state: 'draft' } as AlertView, areaCodes: [COUNTY] });

describeWith(['redis-server'], '/live across a Redis restart', () => {
  let redis: ChildProcess | null = null;
  let a: TestApp;
  let b: TestApp;
  let port = 0;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port);
    const env = { DALABA_REDIS_URL: `redis://127.0.0.1:${port}` };
    a = await createTestApp({ database: 'sqlite', env: { ...env, DALABA_INSTANCE_ID: 'restart-a' } });
    b = await createTestApp({ database: 'sqlite', db: a.db, env: { ...env, DALABA_INSTANCE_ID: 'restart-b' } });
    await listening(a, 2);
    await listening(b, 2);
  });

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await b?.close();
    await a?.close();
    if (redis) await stopRedis(redis);
  });

  it('keeps each instance serving its own clients while Redis is down, and shares changes again once it is back', async () => {
    const { token } = await a.createUser({ username: 'viewer', roles: ['viewer'], scopes: [COUNTY] });
    const onA = await watcher(a, token);
    const onB = await watcher(b, token);
    sockets.push(onA.socket, onB.socket);
    change(a, 9201);
    await onB.until(9201);

    const down = Promise.all([state(a, 'down'), state(b, 'down')]);
    await stopRedis(redis!);
    await down;
    change(a, 9202);
    change(b, 9203);
    await onA.until(9202);
    await onB.until(9203);
    expect(a.app.get(LiveFanout).counts.skipped).toBeGreaterThan(0);
    expect((await a.http.get('/health').expect(200)).body.info.cluster.redis).toMatchObject({ status: 'down' });

    redis = await startRedis(port);
    await listening(a, 2);
    await listening(b, 2);
    change(a, 9204);
    change(b, 9205);
    await onB.until(9204);
    await onA.until(9205);
    expect((await b.http.get('/health').expect(200)).body.info.cluster.redis).toEqual({ status: 'up' });
    // what was made while Redis was away stays where it was made: not queued, not replayed
    expect(onB.seen).not.toContain(9202);
    expect(onA.seen).not.toContain(9203);
  });
});
