/**
 * Self-test results on /live (kind `selfTests`, for technicians as the self-test API): every result stored reaches the
 * watchers whose scope (narrowed to the area they asked for) holds the terminal — and nobody else. The field is off
 * here, so a test run now ends at once as not answered: a stored result all the same. Waits on the clients' own
 * messages (deltas reach one client in order, so a later result seen proves an earlier one was not sent).
 */
import { io, type Socket } from 'socket.io-client';
import type { SubscribeReply } from '../../src/live/live-hub';
import type { LiveDelta } from '../../src/live/live-payload';
import type { SelfTestView } from '../../src/selftest/self-test.service';
import { type TestApp, createTestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { COUNTY, TOWN_A, TOWN_B, buildCounty } from '../registry/fixture';

jest.setTimeout(60_000);

async function connect(baseUrl: string, token: string) {
  const socket: Socket = io(`${baseUrl}/live`, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const seen: SelfTestView[] = [];
  const waiters: { holds: (r: SelfTestView) => boolean; resolve: () => void }[] = [];
  socket.on('delta', (d: LiveDelta) => {
    for (const r of d.selfTests ?? []) {
      seen.push(r);
      for (const w of [...waiters])
        if (w.holds(r)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    }
  });
  const until = (holds: (r: SelfTestView) => boolean): Promise<void> =>
    seen.some(holds) ? Promise.resolve() : new Promise((resolve) => waiters.push({ holds, resolve }));
  const subscribe = async (id: string | null = null): Promise<SubscribeReply> =>
    (await socket.timeout(10_000).emitWithAck('subscribe', { kind: 'selfTests', id })) as SubscribeReply;
  return { socket, seen, until, subscribe };
}

forEachDatabase('self-test results on /live', (database) => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  const sockets: Socket[] = [];
  let inA: number[] = [];
  let inB: number[] = [];

  const watch = async (who: string, id: string | null = null) => {
    const c = await connect(t.baseUrl, tokens[who]);
    sockets.push(c.socket);
    await expect(c.subscribe(id)).resolves.toMatchObject({ ok: true, subscription: { kind: 'selfTests', id } });
    return c;
  };
  const run = async (terminalId: number): Promise<SelfTestView> =>
    (await t.http.post(`/api/terminals/${terminalId}/self-test`).set(t.auth(tokens.tech)).expect(200))
      .body as SelfTestView;

  beforeAll(async () => {
    t = await createTestApp({ database });
    const admin = await t.adminToken();
    await buildCounty(t, admin, 1);
    for (const [name, roles, scopes] of [
      ['tech', ['technician'], [COUNTY]],
      ['techA', ['technician'], [TOWN_A]],
      ['viewer', ['viewer'], [COUNTY]],
    ] as const)
      tokens[name] = (
        await t.createUser({ username: `${name}-${database}`, roles: [...roles], scopes: [...scopes] })
      ).token;
    const list = await t.http.get('/api/terminals').query({ pageSize: 100 }).set(t.auth(admin)).expect(200);
    const terminals = list.body.items as { id: number; areaCode: string }[];
    inA = terminals.filter((x) => x.areaCode.startsWith('341523100')).map((x) => x.id);
    inB = terminals.filter((x) => x.areaCode.startsWith('341523101')).map((x) => x.id);
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t?.close();
  });

  it("attack: a town's technician gets no result of another town's terminal", async () => {
    const county = await watch('tech');
    const town = await watch('techA');
    const other = await run(inB[0]);
    const mine = await run(inA[0]);
    await town.until((r) => r.id === mine.id);
    expect(town.seen.map((r) => r.id)).toEqual([mine.id]);
    await county.until((r) => r.id === mine.id);
    expect(county.seen.map((r) => r.id)).toEqual([other.id, mine.id]);
    expect(county.seen[1]).toEqual(mine);
  });

  it('attack: asking for another town, or without the technician role, is refused', async () => {
    const town = await connect(t.baseUrl, tokens.techA);
    const viewer = await connect(t.baseUrl, tokens.viewer);
    sockets.push(town.socket, viewer.socket);
    await expect(town.subscribe(TOWN_B)).resolves.toMatchObject({ ok: false, code: 'forbidden_area' });
    await expect(town.subscribe(COUNTY)).resolves.toMatchObject({ ok: true });
    await expect(viewer.subscribe()).resolves.toMatchObject({ ok: false, code: 'forbidden' });
    await expect(
      viewer.socket.timeout(10_000).emitWithAck('subscribe', { kind: 'selfTests', id: 'x' }),
    ).resolves.toMatchObject({ ok: false, code: 'invalid_subscription' });
    // the town's technician asking for the county is narrowed to the town
    const other = await run(inB[0]);
    const mine = await run(inA[0]);
    await town.until((r) => r.id === mine.id);
    expect(town.seen.some((r) => r.id === other.id)).toBe(false);
  });

  it('narrows a watcher to the area it asked for', async () => {
    const county = await watch('tech', TOWN_B);
    const other = await run(inA[0]);
    const mine = await run(inB[0]);
    await county.until((r) => r.id === mine.id);
    expect(county.seen.map((r) => r.id)).toEqual([mine.id]);
    expect(other.terminalId).toBe(inA[0]);
  });
});
