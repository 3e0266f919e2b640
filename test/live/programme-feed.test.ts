/**
 * Relay programmes on /live (kind `relay`, change kind `programme`): a programme created or edited reaches the relay
 * watchers who see it (every target in their scope, as GET /api/relay/programmes/:id) — and nobody else; one edited out
 * of a watcher's scope goes from it as `{ programmeId, programme: null }`, telling nothing of where it went. Waits on
 * the clients' own messages (deltas reach one client in order, so a later change seen proves an earlier one was not).
 */
import { io, type Socket } from 'socket.io-client';
import type { SubscribeReply } from '../../src/live/live-hub';
import type { LiveDelta, LiveRelay } from '../../src/live/live-payload';
import { shanghaiDay } from '../../src/relay/recurrence';
import type { ScheduleView } from '../../src/relay/relay-view';
import { type TestApp, createTestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { COUNTY, TOWN_A, TOWN_B, buildCounty } from '../registry/fixture';

jest.setTimeout(60_000);

type ProgrammeChange = Extract<LiveRelay, { kind: 'programme' }>;

async function connect(baseUrl: string, token: string) {
  const socket: Socket = io(`${baseUrl}/live`, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const seen: ProgrammeChange[] = [];
  const schedules: ScheduleView[] = [];
  const waiters: { holds: (r: ProgrammeChange) => boolean; resolve: () => void }[] = [];
  socket.on('delta', (d: LiveDelta) => {
    for (const r of d.relay ?? []) {
      if (r.kind === 'schedule') schedules.push(r.schedule);
      if (r.kind !== 'programme') continue;
      seen.push(r);
      for (const w of [...waiters])
        if (w.holds(r)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    }
  });
  const until = (holds: (r: ProgrammeChange) => boolean): Promise<void> =>
    seen.some(holds) ? Promise.resolve() : new Promise((resolve) => waiters.push({ holds, resolve }));
  const subscribe = async (): Promise<SubscribeReply> =>
    (await socket.timeout(10_000).emitWithAck('subscribe', { kind: 'relay', id: null })) as SubscribeReply;
  return { socket, seen, schedules, until, subscribe };
}

forEachDatabase('relay programmes on /live', (database) => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  const sockets: Socket[] = [];
  const as = (who: string) => t.auth(tokens[who]);

  const create = async (officer: string, name: string, areaCode: string, priorityClass = 'town'): Promise<number> => {
    const p = await t.http
      .post('/api/relay/programmes')
      .set(as(officer))
      .send({ name, source: { kind: 'fm', frequency: 9530 }, priorityClass, targets: { areaCodes: [areaCode] } })
      .expect(201);
    return p.body.id as number;
  };
  const watch = async (who: string) => {
    const c = await connect(t.baseUrl, tokens[who]);
    sockets.push(c.socket);
    await expect(c.subscribe()).resolves.toMatchObject({ ok: true, subscription: { kind: 'relay' } });
    return c;
  };

  beforeAll(async () => {
    t = await createTestApp({ database });
    const admin = await t.adminToken();
    await buildCounty(t, admin, 1);
    for (const [name, roles, scopes] of [
      ['officer', ['officer'], [COUNTY]],
      ['officerA', ['officer'], [TOWN_A]],
      ['officerB', ['officer'], [TOWN_B]],
      ['viewerA', ['viewer'], [TOWN_A]],
    ] as const)
      tokens[name] = (
        await t.createUser({ username: `${name}-${database}`, roles: [...roles], scopes: [...scopes] })
      ).token;
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t?.close();
  });

  it("attack: a town's watcher gets no programme of another town, created or edited", async () => {
    const county = await watch('officer');
    const town = await watch('viewerA');
    const other = await create('officerB', '干汊河镇新闻', TOWN_B);
    await t.http.patch(`/api/relay/programmes/${other}`).set(as('officerB')).send({ volume: 9 }).expect(200);
    const mine = await create('officerA', '城关镇新闻', TOWN_A);
    await town.until((r) => r.programmeId === mine);
    expect(town.seen.map((r) => r.programmeId)).toEqual([mine]);
    await county.until((r) => r.programmeId === other && r.programme?.volume === 9);
    await county.until((r) => r.programmeId === mine);
  });

  it('pushes a programme created and edited to those who see it, as the API shows it, and its schedules', async () => {
    const county = await watch('officer');
    const town = await watch('officerA');
    const id = await create('officerA', '早间新闻', TOWN_A);
    await town.until((r) => r.programmeId === id && r.programme?.name === '早间新闻');
    const recurrence = { kind: 'daily', from: shanghaiDay(new Date()), start: '06:00', end: '06:30' };
    const s = await t.http
      .post('/api/relay/schedules')
      .set(as('officerA'))
      .send({ programmeId: id, recurrence })
      .expect(201);
    await t.http.post(`/api/relay/schedules/${s.body.id}/submit`).set(as('officerA')).expect(200);
    const edited = await t.http
      .patch(`/api/relay/programmes/${id}`)
      .set(as('officerA'))
      .send({ name: '早间新闻（改）', volume: 6 })
      .expect(200);
    await town.until((r) => r.programme?.name === '早间新闻（改）');
    await county.until((r) => r.programme?.name === '早间新闻（改）');
    expect(town.seen.find((r) => r.programme?.name === '早间新闻（改）')?.programme).toEqual(edited.body);
    // the edit sent the submitted schedule back to draft: that is pushed too
    expect(town.schedules.filter((x) => x.id === s.body.id).at(-1)).toMatchObject({ state: 'draft' });
  });

  it("attack: a programme edited out of a watcher's scope goes from it without saying where it went", async () => {
    const county = await watch('officer');
    const town = await watch('viewerA');
    const id = await create('officer', '县新闻', TOWN_A, 'county');
    await town.until((r) => r.programmeId === id && r.programme !== null);
    await t.http
      .patch(`/api/relay/programmes/${id}`)
      .set(as('officer'))
      .send({ targets: { areaCodes: [TOWN_B] } })
      .expect(200);
    await town.until((r) => r.programmeId === id && r.programme === null);
    expect(town.seen.filter((r) => r.programmeId === id).at(-1)).toEqual({
      kind: 'programme',
      programmeId: id,
      programme: null,
    });
    expect(JSON.stringify(town.seen)).not.toContain(TOWN_B);
    await county.until((r) => r.programmeId === id && r.programme?.targets.areaCodes[0] === TOWN_B);
    // and back: the town sees it again
    await t.http
      .patch(`/api/relay/programmes/${id}`)
      .set(as('officer'))
      .send({ targets: { areaCodes: [TOWN_A] } })
      .expect(200);
    await town.until((r) => r.programmeId === id && r.programme?.targets.areaCodes[0] === TOWN_A);
  });
});
