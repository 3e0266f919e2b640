/**
 * Administration inside scope: an administrator grants only scopes inside its own, cannot create, edit, reset,
 * disable or even see accounts above or beside it, cannot widen its own scope, and sees only the users and audit
 * entries of its scope.
 */
import { TestApp, createTestApp } from '../support/app';
import { COUNTY, TOWN_A, TOWN_B, VILLAGES } from '../registry/fixture';

// a server start on a loaded machine: a deadline, not a speed goal
jest.setTimeout(60_000);

const STRONG = 'Correct-horse-battery-9';

describe('administration inside scope', () => {
  let t: TestApp;
  let root: string;
  let county: { id: number; token: string };
  let townA: { id: number; token: string };
  let townB: { id: number; token: string };
  let officerB: { id: number; token: string };

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    root = await t.adminToken();
    county = await t.createUser({ username: 'county-admin', roles: ['admin'], scopes: [COUNTY] });
    townA = await t.createUser({ username: 'town-a-admin', roles: ['admin'], scopes: [TOWN_A] });
    townB = await t.createUser({ username: 'town-b-admin', roles: ['admin'], scopes: [TOWN_B] });
    officerB = await t.createUser({ username: 'officer-b', roles: ['officer'], scopes: [TOWN_B] });
  });
  afterAll(() => t?.close());

  const asA = () => t.auth(townA.token);
  const newUser = (over: object) => ({
    username: `u${Math.random().toString(36).slice(2, 10)}`,
    password: STRONG,
    roles: ['viewer'],
    scopes: [TOWN_A],
    ...over,
  });

  it('attack: a town admin creates a county-wide administrator, an unrestricted one, or an account in the next town', async () => {
    for (const over of [
      { roles: ['admin'], scopes: [COUNTY] },
      { roles: ['admin'], scopes: [] },
      { roles: ['officer'], scopes: [TOWN_B] },
      { scopes: [TOWN_A, COUNTY] },
    ]) {
      const res = await t.http.post('/api/users').set(asA()).send(newUser(over)).expect(403);
      expect(res.body.code).toBe('forbidden_scope');
    }
    // inside its own town it may
    await t.http
      .post('/api/users')
      .set(asA())
      .send(newUser({ roles: ['officer'], scopes: [VILLAGES[0]] }))
      .expect(201);
    await t.http
      .post('/api/users')
      .set(asA())
      .send(newUser({ roles: ['admin'], scopes: [TOWN_A] }))
      .expect(201);
  });

  it('attack: a town admin resets the county admin’s password, disables it, changes its roles, or touches the next town', async () => {
    for (const target of [county.id, townB.id, officerB.id, 1]) {
      await t.http.post(`/api/users/${target}/password`).set(asA()).send({ password: STRONG }).expect(404);
      await t.http.patch(`/api/users/${target}`).set(asA()).send({ disabled: true }).expect(404);
      await t.http
        .patch(`/api/users/${target}`)
        .set(asA())
        .send({ roles: ['viewer'] })
        .expect(404);
      await t.http.get(`/api/users/${target}`).set(asA()).expect(404);
    }
    // nothing changed: the county admin still logs in with its password and is enabled
    await t.http.get('/api/auth/me').set(t.auth(county.token)).expect(200);
    expect((await t.http.get(`/api/users/${county.id}`).set(t.auth(root)).expect(200)).body).toMatchObject({
      disabled: false,
      roles: ['admin'],
    });
  });

  it('attack: a town admin widens its own scope, drops it (unrestricted), or moves an account it manages out of its town', async () => {
    for (const scopes of [[COUNTY], [], [TOWN_A, TOWN_B]]) {
      const res = await t.http.patch(`/api/users/${townA.id}`).set(asA()).send({ scopes }).expect(403);
      expect(res.body.code).toBe('forbidden_scope');
    }
    const mine = (await t.http.post('/api/users').set(asA()).send(newUser({})).expect(201)).body as { id: number };
    await t.http
      .patch(`/api/users/${mine.id}`)
      .set(asA())
      .send({ scopes: [TOWN_B] })
      .expect(403);
    await t.http
      .patch(`/api/users/${mine.id}`)
      .set(asA())
      .send({ roles: ['admin'], scopes: [] })
      .expect(403);
    await t.http
      .patch(`/api/users/${mine.id}`)
      .set(asA())
      .send({ roles: ['officer', 'viewer'], scopes: [VILLAGES[1]] })
      .expect(200);
    // the county admin may move it within the county
    await t.http
      .patch(`/api/users/${mine.id}`)
      .set(t.auth(county.token))
      .send({ scopes: [TOWN_B] })
      .expect(200);
    expect((await t.http.get(`/api/users/${townA.id}`).set(t.auth(root)).expect(200)).body.scopes).toEqual([TOWN_A]);
  });

  it('lists only the accounts inside the admin’s scope', async () => {
    const list = async (token: string) =>
      (await t.http.get('/api/users?pageSize=500').set(t.auth(token)).expect(200)).body as {
        items: { username: string; scopes: string[] }[];
        total: number;
      };
    const a = await list(townA.token);
    expect(a.total).toBe(a.items.length);
    expect(a.items.map((u) => u.username)).toContain('town-a-admin');
    for (const u of a.items) expect(u.scopes.length > 0 && u.scopes.every((s) => s.startsWith('341523100'))).toBe(true);
    const c = await list(county.token);
    expect(c.items.map((u) => u.username)).toEqual(
      expect.arrayContaining(['county-admin', 'town-a-admin', 'town-b-admin', 'officer-b']),
    );
    expect(c.items.map((u) => u.username)).not.toContain('admin');
    expect((await list(root)).items.map((u) => u.username)).toContain('admin');
  });

  it('shows an admin only the audit entries by or about the accounts of its scope', async () => {
    await t.http
      .patch(`/api/users/${officerB.id}`)
      .set(t.auth(townB.token))
      .send({ roles: ['officer', 'viewer'] })
      .expect(200);
    const entries = async (token: string) =>
      (await t.http.get('/api/audit?pageSize=500').set(t.auth(token)).expect(200)).body as {
        items: { actorName: string; entityType: string; entityId: string | null }[];
        total: number;
      };
    const a = await entries(townA.token);
    expect(a.total).toBe(a.items.length);
    expect(a.items.length).toBeGreaterThan(0);
    expect(a.items.map((e) => e.actorName)).not.toContain('town-b-admin');
    expect(a.items.map((e) => e.actorName)).not.toContain('admin');
    expect(a.items.filter((e) => e.entityType === 'user').map((e) => Number(e.entityId))).not.toContain(officerB.id);
    const c = await entries(county.token);
    expect(c.items.map((e) => e.actorName)).toContain('town-b-admin');
    const all = await entries(root);
    expect(all.items.map((e) => e.actorName)).toContain('admin');
  });
});
