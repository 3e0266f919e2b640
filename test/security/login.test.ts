/**
 * Login hardening: throttling per account and per address that a flood of invented usernames cannot reset, failed
 * logins aggregated in the audit (not one entry per try) and never storing a mistyped username verbatim, and the
 * password policy (length, common passwords, the username) on create, reset and change.
 */
import { LoginThrottle, MAX_FAILURES } from '../../src/auth/login-throttle';
import { FailedLogins } from '../../src/auth/failed-logins';
import { TestApp, TEST_USER_PASSWORD, createTestApp } from '../support/app';

// a server start on a loaded machine: a deadline, not a speed goal
jest.setTimeout(60_000);

describe('login throttle under a key flood', () => {
  it('attack: 20,000 invented usernames from other addresses do not reset the victim’s counter', () => {
    let now = 5_000_000;
    const t = new LoginThrottle(() => now);
    for (let i = 0; i < MAX_FAILURES; i++) t.failed('officer', '10.0.0.66');
    expect(t.retryAfterSeconds('officer', '10.0.0.66')).toBeGreaterThan(0);
    for (let i = 0; i < 20_000; i++) t.failed(`ghost${i}`, `10.1.${i >> 8}.${i & 255}`);
    now += 1000;
    expect(t.retryAfterSeconds('officer', '10.0.0.66')).toBeGreaterThan(0);
    // and the flood did not lock out an uninvolved account at an uninvolved address
    expect(t.retryAfterSeconds('approver', '10.0.0.7')).toBe(0);
  });

  it('holds one address that tries many accounts, and one account tried from many addresses', () => {
    const t = new LoginThrottle(() => 1_000);
    for (let i = 0; i < 60; i++) t.failed(`user${i}`, '192.0.2.1');
    expect(t.retryAfterSeconds('someone-else', '192.0.2.1')).toBeGreaterThan(0);
    for (let i = 0; i < 120; i++) t.failed('admin', `198.51.100.${i}`);
    expect(t.retryAfterSeconds('admin', '203.0.113.9')).toBeGreaterThan(0);
    expect(t.retryAfterSeconds('viewer', '203.0.113.9')).toBe(0);
  });
});

describe('failed logins and the password policy over HTTP', () => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    admin = await t.adminToken();
  });
  afterAll(() => t?.close());

  const audit = async (query: string) =>
    (await t.http.get(`/api/audit?pageSize=500&${query}`).set(t.auth(admin)).expect(200)).body as {
      items: { action: string; actorName: string; after: Record<string, unknown> }[];
      total: number;
    };

  it('attack: a password typed into the username field is not kept in the audit', async () => {
    await t.http.post('/api/auth/login').send({ username: 'Secret-P4ssw0rd!', password: 'whatever-1' }).expect(401);
    const all = JSON.stringify((await audit('action=auth.login_failed')).items);
    expect(all).not.toContain('Secret-P4ssw0rd!');
    expect(all).toMatch(/unknown:[0-9a-f]{12}/);
  });

  it('attack: failed logins grow the audit by one entry per try', async () => {
    await t.createUser({ username: 'guessed', roles: ['viewer'] });
    for (let i = 0; i < 8; i++)
      await t.http
        .post('/api/auth/login')
        .send({ username: 'guessed', password: `guess-${i}-xx` })
        .expect(401);
    expect((await audit('actor=guessed&action=auth.login_failed')).total).toBe(1);
    // the rest of the window is summed up in one entry when the window closes
    await t.app.get(FailedLogins).flush();
    const repeated = await audit('actor=guessed&action=auth.login_failed_repeated');
    expect(repeated.total).toBe(1);
    expect(repeated.items[0].after).toMatchObject({ failures: 7 });
    await t.login('guessed', TEST_USER_PASSWORD);
  });

  it.each([
    ['too short', 'Sh0rt-pw'],
    ['a common password', 'password123'],
    ['a common password with digits after it', 'qwertyuiop2024'],
    ['the username in it', 'xXpolicy-userXx99'],
  ])('refuses a password that is %s on create, reset and change (400 naming password)', async (_, password) => {
    const bad = await t.http
      .post('/api/users')
      .set(t.auth(admin))
      .send({ username: 'policy-user', password, roles: ['viewer'], scopes: [] })
      .expect(400);
    expect(bad.body.details).toEqual([expect.objectContaining({ field: 'password' })]);
  });

  it('applies the policy to resets and to a user’s own change, which needs the current password', async () => {
    const u = await t.createUser({ username: 'changer', roles: ['viewer'] });
    const reset = await t.http
      .post(`/api/users/${u.id}/password`)
      .set(t.auth(admin))
      .send({ password: '1234567890' })
      .expect(400);
    expect(reset.body.details).toEqual([expect.objectContaining({ field: 'password' })]);
    const own = await t.http
      .post('/api/auth/password')
      .set(t.auth(u.token))
      .send({ currentPassword: TEST_USER_PASSWORD, newPassword: 'changer-2024-x' })
      .expect(400);
    expect(own.body.details).toEqual([expect.objectContaining({ field: 'newPassword' })]);
    const wrong = await t.http
      .post('/api/auth/password')
      .set(t.auth(u.token))
      .send({ currentPassword: 'not-the-one-1', newPassword: 'Lantern-river-42' })
      .expect(400);
    expect(wrong.body.details).toEqual([expect.objectContaining({ field: 'currentPassword' })]);
    await t.http
      .post('/api/auth/password')
      .set(t.auth(u.token))
      .send({ currentPassword: TEST_USER_PASSWORD, newPassword: 'Lantern-river-42' })
      .expect(204);
    // the change ends the sessions opened before it; the new password logs in
    await t.http.get('/api/auth/me').set(t.auth(u.token)).expect(401);
    await t.login('changer', 'Lantern-river-42');
  });
});
