/**
 * Findings: inputs that reached the database or the stack and came back as 500, and inputs that were accepted though
 * wrong (impossible dates, huge numbers, control and bidi characters, blank titles, ids like 0x10, prototype keys,
 * empty role lists, roles in another case). Each must be a 400 naming the field, with nothing written.
 */
import { TestApp, createTestApp } from '../support/app';
import { buildCounty, Fixture, VILLAGES } from '../registry/fixture';

const ALERT = {
  eventType: '11B03',
  severity: 2,
  messageType: 'platformDrill',
  title: '暴雨预警',
  text: '请注意',
  targets: { areaCodes: [VILLAGES[0]] },
  audio: { kind: 'tts' },
  endAt: new Date(Date.now() + 3_600_000).toISOString(),
};

describe('validation at the edge', () => {
  let t: TestApp;
  let admin: string;
  let fx: Fixture;
  let userId: number;

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    admin = await t.adminToken();
    fx = await buildCounty(t, admin, 1);
    userId = (await t.createUser({ username: 'edge-user', roles: ['viewer'], scopes: [VILLAGES[0]] })).id;
  }, 30_000);
  afterAll(() => t.close());

  const fieldsOf = (body: { details?: { field: string }[] }) => (body.details ?? []).map((d) => d.field);

  describe('former 500s', () => {
    it('PATCH users {"disabled":null} is a 400 naming disabled', async () => {
      const res = await t.http.patch(`/api/users/${userId}`).set(t.auth(admin)).send({ disabled: null }).expect(400);
      expect(fieldsOf(res.body)).toEqual(['disabled']);
    });

    it('PATCH regions {"name":null} is a 400 naming name', async () => {
      const res = await t.http.patch(`/api/regions/${VILLAGES[0]}`).set(t.auth(admin)).send({ name: null }).expect(400);
      expect(fieldsOf(res.body)).toEqual(['name']);
    });

    it('page=1e20 is a 400 naming page', async () => {
      for (const path of ['/api/terminals', '/api/users', '/api/audit', '/api/broadcasts']) {
        const res = await t.http.get(`${path}?page=1e20`).set(t.auth(admin));
        expect([path, res.status, fieldsOf(res.body)]).toEqual([path, 400, ['page']]);
      }
    });

    it('deeply nested JSON is a 400, not a stack overflow', async () => {
      const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
      const res = await t.http
        .post('/api/regions')
        .set(t.auth(admin))
        .set('Content-Type', 'application/json')
        .send(deep);
      expect(res.status).toBe(400);
      expect(res.body.details[0].message).toMatch(/nests deeper/);
      const arrays = await t.http
        .post('/api/alerts')
        .set(t.auth(admin))
        .set('Content-Type', 'application/json')
        .send('['.repeat(20000) + ']'.repeat(20000));
      expect(arrays.status).toBe(400);
    });
  });

  describe('values refused', () => {
    const terminal = (extra: object) => ({
      name: 'T',
      areaCode: VILLAGES[0],
      gatewayId: fx.gateways[VILLAGES[0]].id,
      unitId: 200,
      ...extra,
    });
    const total = async () =>
      (await t.http.get('/api/terminals?pageSize=1').set(t.auth(admin)).expect(200)).body.total as number;

    it.each([
      ['installedOn', { installedOn: '2026-13-99' }],
      ['installedOn', { installedOn: '2026-02-30' }],
      ['speakerPowerW', { speakerPowerW: 1e300 }],
      ['latitude', { latitude: 1e300 }],
      ['name', { name: 'a\u0000b' }],
      ['name', { name: '\u202Egnp.exe' }],
      ['name', { name: '   ' }],
      ['notes', { notes: 'x\u2066y' }],
      ['gatewayId', { gatewayId: '0x10' }],
      ['unitId', { unitId: 1.5 }],
    ])('a terminal with a bad %s is a 400 naming it and writes nothing', async (field, extra) => {
      const before = await total();
      const res = await t.http.post('/api/terminals').set(t.auth(admin)).send(terminal(extra));
      expect([res.status, fieldsOf(res.body)]).toEqual([400, [field]]);
      expect(await total()).toBe(before);
    });

    it('gateway numbers out of any sane range are refused', async () => {
      const res = await t.http
        .post('/api/gateways')
        .set(t.auth(admin))
        .send({ name: 'g', areaCode: VILLAGES[0], kind: 'modbus-tcp', host: 'h', port: 502, baudRate: 1e300 });
      expect([res.status, fieldsOf(res.body)]).toEqual([400, ['baudRate']]);
    });

    it('blank and control-laden alert titles are refused', async () => {
      for (const title of ['   ', '\t', 'a\u0007b', 'x\u202Ey']) {
        const res = await t.http
          .post('/api/alerts')
          .set(t.auth(admin))
          .send({ ...ALERT, title });
        expect([JSON.stringify(title), res.status, fieldsOf(res.body)]).toEqual([
          JSON.stringify(title),
          400,
          ['title'],
        ]);
      }
    });

    it('impossible alert times are refused', async () => {
      const res = await t.http
        .post('/api/alerts')
        .set(t.auth(admin))
        .send({ ...ALERT, endAt: '2026-13-99T00:00:00Z' });
      expect([res.status, fieldsOf(res.body)]).toEqual([400, ['endAt']]);
    });

    it('ids must be plain decimal integers in paths and queries', async () => {
      for (const id of ['0x10', '1e3', '99999999999999999999', '-1', '0']) {
        const res = await t.http.get(`/api/terminals/${id}`).set(t.auth(admin));
        expect([id, res.status, fieldsOf(res.body)]).toEqual([id, 400, ['id']]);
      }
      const q = await t.http.get('/api/terminals?gatewayId=0x10').set(t.auth(admin));
      expect([q.status, fieldsOf(q.body)]).toEqual([400, ['gatewayId']]);
    });

    it('prototype keys are refused wherever they appear', async () => {
      for (const body of [
        '{"__proto__":{"isAdmin":true},"code":"341523100299","name":"x"}',
        '{"code":"341523100299","name":"x","constructor":{"prototype":{}}}',
      ]) {
        const res = await t.http
          .post('/api/regions')
          .set(t.auth(admin))
          .set('Content-Type', 'application/json')
          .send(body);
        expect(res.status).toBe(400);
        expect(res.body.message).toMatch(/__proto__|constructor/);
      }
      const nested = await t.http
        .post('/api/alerts')
        .set(t.auth(admin))
        .set('Content-Type', 'application/json')
        .send(
          JSON.stringify({ ...ALERT, targets: JSON.parse('{"areaCodes":[],"__proto__":{"x":1}}') }).replace(
            '"targets":{',
            '"targets":{"__proto__":{"x":1},',
          ),
        );
      expect(nested.status).toBe(400);
      expect((await t.http.get('/api/regions/tree').set(t.auth(admin)).expect(200)).text).not.toContain('341523100299');
    });

    it('an empty role list and roles in another case are refused', async () => {
      const empty = await t.http
        .post('/api/users')
        .set(t.auth(admin))
        .send({ username: 'norole', password: 'a-long-password-9', roles: [], scopes: [] });
      expect([empty.status, fieldsOf(empty.body)]).toEqual([400, ['roles']]);
      const upper = await t.http
        .post('/api/users')
        .set(t.auth(admin))
        .send({ username: 'upper', password: 'a-long-password-9', roles: ['Admin'], scopes: [] });
      expect([upper.status, fieldsOf(upper.body)]).toEqual([400, ['roles']]);
      const patch = await t.http.patch(`/api/users/${userId}`).set(t.auth(admin)).send({ roles: [] });
      expect([patch.status, fieldsOf(patch.body)]).toEqual([400, ['roles']]);
    });

    it('list order is case-exact', async () => {
      const res = await t.http.get('/api/terminals?order=desc').set(t.auth(admin));
      expect([res.status, fieldsOf(res.body)]).toEqual([400, ['order']]);
    });
  });
});
