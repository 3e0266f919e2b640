/**
 * The alerts suites' shared setup: a test app with the field off (DALABA_FIELD=off), so that the real dispatch engine
 * plans broadcasts and deliveries and reports its outcome back with every terminal unreachable; the test county; users
 * of each role and scope; the chime ready. And helpers that draft, submit and approve alerts over HTTP.
 */
import { AudioService } from '../../src/audio/audio.service';
import { BroadcastEntity, DeliveryEntity } from '../../src/dispatch/broadcast.entities';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { TestApp, createTestApp } from '../support/app';
import type { TestDatabaseKind } from '../support/databases';
import { COUNTY, TOWN_A, buildCounty } from '../registry/fixture';

export const HOUR = 3600_000;

type Role = 'officer' | 'approver' | 'viewer';

/** The app and its users, set before the suite's tests run, with the helpers. */
export function alertsFixture(database: TestDatabaseKind) {
  const f = {
    t: undefined as unknown as TestApp,
    admin: '',
    dispatch: undefined as unknown as DispatchService,
    tokens: {} as Record<string, string>,
    ids: {} as Record<string, number>,
  };

  beforeAll(async () => {
    const t = await createTestApp({ database });
    f.t = t;
    f.admin = await t.adminToken();
    await buildCounty(t, f.admin);
    f.dispatch = t.app.get(DispatchService);
    const users: [string, Role[], string[]][] = [
      ['officer', ['officer'], [COUNTY]],
      ['officerA', ['officer'], [TOWN_A]],
      ['approver', ['approver'], [COUNTY]],
      ['approverA', ['approver'], [TOWN_A]],
      ['both', ['officer', 'approver'], [COUNTY]],
      ['viewer', ['viewer'], [COUNTY]],
    ];
    for (const [name, roles, scopes] of users) {
      const u = await t.createUser({ username: `${name}-${database}`, roles, scopes });
      f.tokens[name] = u.token;
      f.ids[name] = u.id;
    }
    const chime = await t.app.get(AudioService).settled('tone-chime');
    expect(chime.state).toBe('ready');
  });
  afterAll(() => f.t?.close());

  const body = (over: object = {}) => ({
    eventType: '11B03',
    severity: 2,
    messageType: 'real',
    title: '暴雨橙色预警',
    text: '城关镇将有暴雨，请注意防范。',
    targets: { areaCodes: [TOWN_A] },
    audio: { kind: 'tone', toneId: 'tone-chime' },
    endAt: new Date(Date.now() + 2 * HOUR).toISOString(),
    ...over,
  });
  const as = (who: string) => f.t.auth(f.tokens[who]);
  const broadcastOf = (alertId: number) => f.t.dataSource.getRepository(BroadcastEntity).findOneBy({ alertId });
  const deliveredTo = async (broadcastId: string) =>
    (await f.t.dataSource.getRepository(DeliveryEntity).findBy({ broadcastId }))
      .map((d) => d.terminalId)
      .sort((x, y) => x - y);
  const stateOf = async (id: number) =>
    (await f.t.http.get(`/api/alerts/${id}`).set(f.t.auth(f.admin)).expect(200)).body.state as string;
  const create = async (who = 'officer', over: object = {}) =>
    (await f.t.http.post('/api/alerts').set(as(who)).send(body(over)).expect(201)).body as {
      id: number;
      state: string;
    };
  const submitted = async (who = 'officer', over: object = {}) => {
    const a = await create(who, over);
    await f.t.http.post(`/api/alerts/${a.id}/submit`).set(as(who)).expect(200);
    return a;
  };
  const approved = async (over: object = {}) => {
    const a = await submitted('officer', over);
    return (await f.t.http.post(`/api/alerts/${a.id}/approve`).set(as('approver')).expect(200)).body as {
      id: number;
      state: string;
      broadcastId: string;
    };
  };

  return Object.assign(f, { body, as, broadcastOf, deliveredTo, stateOf, create, submitted, approved });
}
