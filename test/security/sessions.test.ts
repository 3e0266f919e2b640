/**
 * Sessions end with the rights behind them: disabling, narrowing, re-enabling an account or resetting its password
 * ends every token issued before (a re-enabled account's old tokens stay dead) and closes its live sockets at once;
 * every socket event checks the token again.
 */
import { io, type Socket } from 'socket.io-client';
import { UserEntity } from '../../src/auth/user.entity';
import { LiveChannel } from '../../src/live/live.channel';
import { TestApp, TEST_USER_PASSWORD, createTestApp } from '../support/app';
import { COUNTY, TOWN_A } from '../registry/fixture';

// a server start on a loaded machine: a deadline, not a speed goal
jest.setTimeout(60_000);

function connect(baseUrl: string, token: string): Promise<Socket> {
  const socket = io(`${baseUrl}/live`, { auth: { token }, transports: ['websocket'], reconnection: false });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

const disconnected = (socket: Socket): Promise<string> =>
  socket.disconnected
    ? Promise.resolve('already')
    : new Promise((resolve) => socket.once('disconnect', (reason) => resolve(reason)));

const subscribe = (socket: Socket, body: object): Promise<{ ok: boolean; code?: string }> =>
  socket.timeout(10_000).emitWithAck('subscribe', body) as Promise<{ ok: boolean; code?: string }>;

describe('sessions and live sockets follow the account', () => {
  let t: TestApp;
  let root: string;
  const sockets: Socket[] = [];
  let n = 0;

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    root = await t.adminToken();
    await t.http.post('/api/regions').set(t.auth(root)).send({ code: COUNTY, name: '舒城县' }).expect(201);
    await t.http.post('/api/regions').set(t.auth(root)).send({ code: TOWN_A, name: '城关镇' }).expect(201);
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t?.close();
  });

  const watcher = async () => {
    const user = await t.createUser({ username: `watcher${++n}`, roles: ['technician'], scopes: [COUNTY] });
    const socket = await connect(t.baseUrl, user.token);
    sockets.push(socket);
    expect(await subscribe(socket, { kind: 'region', id: COUNTY })).toMatchObject({ ok: true });
    return { ...user, socket };
  };

  it('attack: a socket opened before the account was disabled keeps its rooms', async () => {
    const w = await watcher();
    const closed = disconnected(w.socket);
    await t.http.patch(`/api/users/${w.id}`).set(t.auth(root)).send({ disabled: true }).expect(200);
    expect(await closed).toBe('io server disconnect');
    await t.http.get('/api/auth/me').set(t.auth(w.token)).expect(401);
  });

  it('attack: a re-enabled account’s old tokens become valid again', async () => {
    const w = await watcher();
    await t.http.patch(`/api/users/${w.id}`).set(t.auth(root)).send({ disabled: true }).expect(200);
    await t.http.patch(`/api/users/${w.id}`).set(t.auth(root)).send({ disabled: false }).expect(200);
    await t.http.get('/api/auth/me').set(t.auth(w.token)).expect(401);
    await expect(connect(t.baseUrl, w.token)).rejects.toThrow(/session no longer valid/);
    const fresh = await t.login(`watcher${n}`, TEST_USER_PASSWORD);
    await t.http.get('/api/auth/me').set(t.auth(fresh)).expect(200);
  });

  it('attack: a socket of an account narrowed to one town keeps receiving the county', async () => {
    const w = await watcher();
    const closed = disconnected(w.socket);
    await t.http
      .patch(`/api/users/${w.id}`)
      .set(t.auth(root))
      .send({ scopes: [TOWN_A] })
      .expect(200);
    expect(await closed).toBe('io server disconnect');
    await t.http.get('/api/auth/me').set(t.auth(w.token)).expect(401);
    // a new login sees only the town
    const socket = await connect(t.baseUrl, await t.login(`watcher${n}`, TEST_USER_PASSWORD));
    sockets.push(socket);
    expect(await subscribe(socket, { kind: 'region', id: COUNTY })).toMatchObject({
      ok: true,
      subscription: { id: COUNTY },
      snapshot: { rates: [{ areaCode: TOWN_A }] },
    });
  });

  it('ends the sockets of an account whose password was reset', async () => {
    const w = await watcher();
    const closed = disconnected(w.socket);
    await t.http
      .post(`/api/users/${w.id}/password`)
      .set(t.auth(root))
      .send({ password: 'Another-long-passphrase-7' })
      .expect(204);
    expect(await closed).toBe('io server disconnect');
  });

  it('checks the token again on every socket event (an account changed where no event reached this server)', async () => {
    const w = await watcher();
    await t.dataSource.getRepository(UserEntity).update({ id: w.id }, { disabled: true });
    const closed = disconnected(w.socket);
    expect(await subscribe(w.socket, { kind: 'region', id: TOWN_A })).toMatchObject({
      ok: false,
      code: 'unauthorized',
    });
    expect(await closed).toBe('io server disconnect');
  });

  it('closes a socket that only listens once its account changed where no event reached this server', async () => {
    const w = await watcher();
    await t.dataSource.getRepository(UserEntity).update({ id: w.id }, { tokenVersion: 99 });
    const closed = disconnected(w.socket);
    expect(await t.app.get(LiveChannel).revalidateAll()).toBe(1);
    expect(await closed).toBe('io server disconnect');
  });

  it('keeps the sockets of an account whose rights only grew', async () => {
    const w = await watcher();
    await t.http
      .patch(`/api/users/${w.id}`)
      .set(t.auth(root))
      .send({ roles: ['technician', 'viewer'] })
      .expect(200);
    expect(await subscribe(w.socket, { kind: 'region', id: TOWN_A })).toMatchObject({ ok: true });
    await t.http.get('/api/auth/me').set(t.auth(w.token)).expect(200);
  });
});
