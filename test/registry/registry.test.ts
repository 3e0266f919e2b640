import { TestApp, createTestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { COUNTY, Fixture, TOWN_A, TOWN_B, VILLAGES, buildCounty } from './fixture';

forEachDatabase('registry', (database) => {
  let t: TestApp;
  let admin: string;
  let fx: Fixture;

  beforeAll(async () => {
    t = await createTestApp({ database });
    admin = await t.adminToken();
    fx = await buildCounty(t, admin);
  });
  afterAll(() => t.close());

  const count = async () =>
    (await t.http.get('/api/terminals?pageSize=1').set(t.auth(admin)).expect(200)).body.total as number;

  it('lists exactly a town’s terminals, paginated, with items and total', async () => {
    const first = await t.http
      .get(`/api/terminals?areaCode=${TOWN_A}&pageSize=4&page=1&sort=unitId&order=DESC`)
      .set(t.auth(admin))
      .expect(200);
    expect(first.body.total).toBe(6);
    expect(first.body.items).toHaveLength(4);
    expect(first.body.items[0].unitId).toBe(3);
    const second = await t.http
      .get(`/api/terminals?areaCode=${TOWN_A}&pageSize=4&page=2`)
      .set(t.auth(admin))
      .expect(200);
    expect(second.body.items).toHaveLength(2);
    const all = [...first.body.items, ...second.body.items] as { areaCode: string; resourceCode: string }[];
    expect(all.every((x) => x.areaCode.startsWith('341523100'))).toBe(true);
    expect(all[0].resourceCode).toMatch(/^6341523100\d{13}$/);
    await t.http.get('/api/terminals?pageSize=501').set(t.auth(admin)).expect(400);
    const q = await t.http
      .get(`/api/terminals?q=${encodeURIComponent('村12号')}`)
      .set(t.auth(admin))
      .expect(200);
    expect(q.body.total).toBe(1);
  });

  it('scopes reads and writes to the user’s areas', async () => {
    const { token } = await t.createUser({ username: `tech-${database}`, roles: ['technician'], scopes: [TOWN_A] });
    const other = (await t.http.get(`/api/terminals?areaCode=${TOWN_B}`).set(t.auth(admin)).expect(200)).body.items[0];
    const res = await t.http.get(`/api/terminals/${other.id}`).set(t.auth(token)).expect(403);
    expect(res.body.code).toBe('forbidden_area');
    await t.http.patch(`/api/terminals/${other.id}`).set(t.auth(token)).send({ name: 'x' }).expect(403);
    const mine = await t.http.get('/api/terminals').set(t.auth(token)).expect(200);
    expect(mine.body.total).toBe(6);
    const narrowed = await t.http.get(`/api/terminals?areaCode=${COUNTY}`).set(t.auth(token)).expect(200);
    expect(narrowed.body.total).toBe(6);
    const { token: viewer } = await t.createUser({
      username: `viewer-${database}`,
      roles: ['viewer'],
      scopes: [TOWN_A],
    });
    await t.http.delete(`/api/terminals/${mine.body.items[0].id}`).set(t.auth(viewer)).expect(403);
  });

  it.each([
    ['an 11-digit area code', { areaCode: '34152310020' }, 'areaCode'],
    ['unit id 0', { unitId: 0 }, 'unitId'],
    ['unit id 248', { unitId: 248 }, 'unitId'],
    ['a unit id already taken', { unitId: 1 }, 'unitId'],
    ['a resource code of another area', { resourceCode: '63415231012010301010401' }, 'resourceCode'],
    ['a resource code of the wrong level', { resourceCode: '53415231002010301010401' }, 'resourceCode'],
  ])('refuses a terminal with %s (400 naming the field, nothing written)', async (_, change, field) => {
    const before = await count();
    const body = {
      name: '新喇叭',
      areaCode: VILLAGES[0],
      gatewayId: fx.gateways[VILLAGES[0]].id,
      unitId: 9,
      ...change,
    };
    const res = await t.http.post('/api/terminals').set(t.auth(admin)).send(body).expect(400);
    expect((res.body.details as { field: string }[]).map((d) => d.field)).toContain(field);
    expect(await count()).toBe(before);
  });

  it('validates gateway connections per kind', async () => {
    const res = await t.http
      .post('/api/gateways')
      .set(t.auth(admin))
      .send({ name: '串口网关', areaCode: VILLAGES[0], kind: 'modbus-rtu', host: '10.0.0.1' })
      .expect(400);
    expect((res.body.details as { field: string }[]).map((d) => d.field)).toEqual(
      expect.arrayContaining(['serialPath']),
    );
    const ok = await t.http
      .post('/api/gateways')
      .set(t.auth(admin))
      .send({
        name: '串口网关',
        areaCode: VILLAGES[0],
        kind: 'modbus-rtu',
        serialPath: '/dev/ttyUSB0',
        baudRate: 19200,
        parity: 'even',
      })
      .expect(201);
    expect(ok.body.resourceCode).toMatch(/^6341523100201020202/);
    await t.http.delete(`/api/gateways/${ok.body.id}`).set(t.auth(admin)).expect(204);
  });

  it('refuses to delete or move a region while something hangs on it, and returns the tree with counts', async () => {
    const del = await t.http.delete(`/api/regions/${TOWN_A}`).set(t.auth(admin)).expect(409);
    expect(del.body.message).toMatch(/2 child region\(s\), 2 gateway\(s\) and 6 terminal\(s\)/);
    await t.http.patch(`/api/regions/${VILLAGES[0]}`).set(t.auth(admin)).send({ code: '341523101209' }).expect(409);
    await t.http.post('/api/regions').set(t.auth(admin)).send({ code: '341523100299', name: '空村' }).expect(201);
    await t.http.post('/api/regions').set(t.auth(admin)).send({ code: '341523100299001', name: '一组' }).expect(201);
    await t.http.post('/api/regions').set(t.auth(admin)).send({ code: '341523109201', name: '孤村' }).expect(400);
    const moved = await t.http
      .patch('/api/regions/341523100299')
      .set(t.auth(admin))
      .send({ code: '341523101299', name: '搬迁村' })
      .expect(200);
    expect(moved.body).toMatchObject({ code: '341523101299', parentCode: TOWN_B, name: '搬迁村' });
    const tree = await t.http.get(`/api/regions/tree?root=${TOWN_B}`).set(t.auth(admin)).expect(200);
    expect(tree.body[0]).toMatchObject({ code: TOWN_B, terminalCount: 6 });
    const movedNode = (tree.body[0].children as { code: string; children: { code: string }[] }[]).find(
      (c) => c.code === '341523101299',
    );
    expect(movedNode?.children.map((c) => c.code)).toEqual(['341523101299001']);
    await t.http.delete('/api/regions/341523101299').set(t.auth(admin)).expect(409);
    await t.http.delete('/api/regions/341523101299001').set(t.auth(admin)).expect(204);
    await t.http.delete('/api/regions/341523101299').set(t.auth(admin)).expect(204);
  });
});
