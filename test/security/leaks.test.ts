/**
 * Finding: a 403 named the area of what the caller may not see; audio errors carried server paths; the SQLite file
 * was created 0644 (readable by every user of the machine).
 */
import { statSync } from 'node:fs';
import { TestApp, createTestApp } from '../support/app';
import { useCountyApp } from './county-app';
import { TOWN_B, VILLAGES } from '../registry/fixture';

describe('what errors and files give away', () => {
  const county = useCountyApp(1);

  it('a 403 does not say where the thing lies', async () => {
    const { t, admin, fx } = county;
    const { token } = await t.createUser({ username: 'town-a-viewer', roles: ['viewer'], scopes: [VILLAGES[0]] });
    const other = (await t.http.get(`/api/terminals?areaCode=${VILLAGES[2]}`).set(t.auth(admin)).expect(200)).body
      .items[0] as { id: number; areaCode: string };
    const res = await t.http.get(`/api/terminals/${other.id}`).set(t.auth(token));
    expect(res.status).toBe(403);
    expect(JSON.stringify(res.body)).not.toContain(other.areaCode);
    expect(JSON.stringify(res.body)).not.toContain(TOWN_B.slice(0, 9));
    const gateway = await t.http.get(`/api/gateways/${fx.gateways[VILLAGES[3]].id}`).set(t.auth(token));
    expect(gateway.status).toBe(403);
    expect(JSON.stringify(gateway.body)).not.toContain(VILLAGES[3]);
  });

  it('creates the SQLite file 0600', () => {
    expect(statSync(county.t.config.database.sqlitePath ?? '').mode & 0o777).toBe(0o600);
  });
});

describe('audio errors', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
  });
  afterAll(() => t.close());

  it('an undecodable upload is refused without a server path', async () => {
    const admin = await t.adminToken();
    const res = await t.http
      .post('/api/audio/clips')
      .set(t.auth(admin))
      .attach('file', Buffer.alloc(4096, 7), 'noise.mp3');
    expect(res.status).toBe(400);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain(t.config.dataDir);
    expect(text).not.toMatch(/\/tmp\/|\/work\/|\/home\//);
  });
});
