import { FailedLogins } from '../../src/auth/failed-logins';
import { TEST_ADMIN_PASSWORD, TEST_USER_PASSWORD, TestApp, createTestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';

forEachDatabase('accounts and login', (database) => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ database });
    admin = await t.adminToken();
  });
  afterAll(() => t.close());

  it('logs the first admin in with DALABA_ADMIN_PASSWORD and refuses a wrong password without saying why', async () => {
    const ok = await t.http
      .post('/api/auth/login')
      .send({ username: 'admin', password: TEST_ADMIN_PASSWORD })
      .expect(200);
    expect(ok.body).toMatchObject({ tokenType: 'Bearer', user: { username: 'admin', roles: ['admin'], scopes: [] } });
    expect(ok.body.user.passwordHash).toBeUndefined();
    const bad = await t.http.post('/api/auth/login').send({ username: 'admin', password: 'nope-nope' }).expect(401);
    const unknown = await t.http.post('/api/auth/login').send({ username: 'ghost', password: 'nope-nope' }).expect(401);
    expect(bad.body).toEqual({ statusCode: 401, code: 'unauthorized', message: 'invalid username or password' });
    expect(unknown.body).toEqual(bad.body);
  });

  it('refuses requests without a token, with a bad token, and from a disabled account', async () => {
    await t.http.get('/api/users').expect(401);
    await t.http.get('/api/users').set('Authorization', 'Bearer not.a.token').expect(401);
    const { id, token } = await t.createUser({ username: 'leaver', roles: ['admin'] });
    await t.http.get('/api/auth/me').set(t.auth(token)).expect(200);
    await t.http.patch(`/api/users/${id}`).set(t.auth(admin)).send({ disabled: true }).expect(200);
    const res = await t.http.get('/api/auth/me').set(t.auth(token)).expect(401);
    expect(res.body.code).toBe('unauthorized');
    await t.http.post('/api/auth/login').send({ username: 'leaver', password: TEST_USER_PASSWORD }).expect(401);
  });

  it('lets admins manage accounts and keeps others out with 403', async () => {
    const created = await t.http
      .post('/api/users')
      .set(t.auth(admin))
      .send({ username: 'town-tech', password: 'longenough1', roles: ['technician'], scopes: ['341523100000'] })
      .expect(201);
    expect(created.body).toMatchObject({
      username: 'town-tech',
      roles: ['technician'],
      scopes: ['341523100000'],
      disabled: false,
    });
    const tech = await t.login('town-tech', 'longenough1');
    const forbidden = await t.http.get('/api/users').set(t.auth(tech)).expect(403);
    expect(forbidden.body).toMatchObject({ statusCode: 403, code: 'forbidden_role' });

    const id = created.body.id as number;
    await t.http
      .patch(`/api/users/${id}`)
      .set(t.auth(admin))
      .send({ roles: ['technician', 'viewer'] })
      .expect(200);
    expect((await t.http.get('/api/auth/me').set(t.auth(tech)).expect(200)).body).toMatchObject({
      roles: ['technician', 'viewer'],
    });
    // moved to another town: the area it reached is taken away, so its sessions end
    await t.http
      .patch(`/api/users/${id}`)
      .set(t.auth(admin))
      .send({ scopes: ['341523101000'] })
      .expect(200);
    await t.http.get('/api/auth/me').set(t.auth(tech)).expect(401);
    const moved = await t.login('town-tech', 'longenough1');
    const me = await t.http.get('/api/auth/me').set(t.auth(moved)).expect(200);
    expect(me.body).toMatchObject({ roles: ['technician', 'viewer'], scopes: ['341523101000'] });

    await t.http.post(`/api/users/${id}/password`).set(t.auth(admin)).send({ password: 'another-one-2' }).expect(204);
    await t.http.get('/api/auth/me').set(t.auth(moved)).expect(401); // a reset ends the sessions opened before it
    await t.http.post('/api/auth/login').send({ username: 'town-tech', password: 'longenough1' }).expect(401);
    await t.login('town-tech', 'another-one-2');

    const list = await t.http.get('/api/users?pageSize=2&page=1').set(t.auth(admin)).expect(200);
    expect(list.body.items).toHaveLength(2);
    expect(list.body.total).toBeGreaterThanOrEqual(3);
    await t.http.get('/api/users/99999').set(t.auth(admin)).expect(404);
  });

  it('names every offending field, nested paths included, and refuses unknown fields', async () => {
    const res = await t.http
      .post('/api/users')
      .set(t.auth(admin))
      .send({ username: 'a b', password: 'short', roles: ['king'], scopes: ['3415231'], shoeSize: 42 })
      .expect(400);
    expect(res.body.code).toBe('validation_failed');
    const fields = (res.body.details as { field: string }[]).map((d) => d.field).sort();
    expect(fields).toEqual(['password', 'roles', 'scopes', 'shoeSize', 'username']);
    const scope = await t.http
      .post('/api/users')
      .set(t.auth(admin))
      .send({
        username: 'badscope',
        password: 'longenough1',
        roles: ['viewer'],
        scopes: ['341523100000', '341523000001'],
      })
      .expect(400);
    expect(scope.body.details).toEqual([{ field: 'scopes.1', message: expect.stringContaining('341523000001') }]);
    await t.http
      .post('/api/users')
      .set(t.auth(admin))
      .send({ username: 'admin', password: 'longenough1', roles: ['viewer'], scopes: [] })
      .expect(409);
  });

  it('keeps the last enabled administrator', async () => {
    const res = await t.http
      .patch('/api/users/1')
      .set(t.auth(admin))
      .send({ roles: ['viewer'] });
    // another enabled admin may exist from earlier tests only if not disabled; `leaver` was disabled
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('last_admin');
  });
});

describe('login throttling', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
  });
  afterAll(() => t.close());

  it('refuses logins with 429 after ten failures, even with the right password, and audits it', async () => {
    await t.createUser({ username: 'guessed', roles: ['viewer'] });
    for (let i = 0; i < 10; i++) {
      await t.http
        .post('/api/auth/login')
        .send({ username: 'guessed', password: `guess-${i}-xx` })
        .expect(401);
    }
    const res = await t.http
      .post('/api/auth/login')
      .send({ username: 'guessed', password: TEST_USER_PASSWORD })
      .expect(429);
    expect(res.body).toMatchObject({
      statusCode: 429,
      code: 'too_many_attempts',
      details: { retryAfterSeconds: expect.any(Number) },
    });
    const admin = await t.adminToken(); // other accounts are not held up
    // aggregated: the first failure at once, the rest of the window in one entry when it closes
    const audit = await t.http.get('/api/audit?actor=guessed&action=auth.login_failed').set(t.auth(admin)).expect(200);
    expect(audit.body.total).toBe(1);
    await t.app.get(FailedLogins).flush();
    const repeated = await t.http
      .get('/api/audit?actor=guessed&action=auth.login_failed_repeated')
      .set(t.auth(admin))
      .expect(200);
    expect(repeated.body.items[0].after).toMatchObject({ failures: 9, refused: 1 });
  });
});
