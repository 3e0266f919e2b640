/** Build item: exports read whole tables, so each account gets a bounded number of them (429 beyond). */
import { EXPORT_LIMITS } from '../../src/common/export-limit';
import { TestApp, createTestApp } from '../support/app';

describe('export limits', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
  });
  afterAll(() => t.close());

  it('refuses exports beyond the per-minute count with 429, per account, while plain lists stay free', async () => {
    const { token } = await t.createUser({ username: 'exporter', roles: ['viewer'], scopes: ['341523100000'] });
    const admin = await t.adminToken();
    const paths = ['/api/terminals?format=csv', '/api/gateways?format=xlsx', '/api/regions/export'];
    for (let i = 0; i < EXPORT_LIMITS.perMinute; i++)
      await t.http
        .get(paths[i % paths.length])
        .set(t.auth(token))
        .buffer(true)
        .expect(200);
    const refused = await t.http.get('/api/terminals?format=csv').set(t.auth(token));
    expect([refused.status, refused.body.code]).toEqual([429, 'too_many_exports']);
    await t.http.get('/api/terminals').set(t.auth(token)).expect(200);
    await t.http.get('/api/terminals?format=csv').set(t.auth(admin)).buffer(true).expect(200);
  });
});
