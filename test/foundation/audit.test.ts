import { AuditService } from '../../src/audit/audit.service';
import { SYSTEM_ACTOR } from '../../src/auth/auth-user';
import { Transactions } from '../../src/database/transactions';
import { TestApp, createTestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';

forEachDatabase('audit log', (database) => {
  let t: TestApp;
  let admin: string;

  beforeAll(async () => {
    t = await createTestApp({ database });
    admin = await t.adminToken();
  });
  afterAll(() => t.close());

  const verify = async () => (await t.http.get('/api/audit/verify').set(t.auth(admin)).expect(200)).body;

  it('records writes and logins with who, what, when, before and after', async () => {
    const { id } = await t.createUser({ username: 'watched', roles: ['viewer'], scopes: ['341523100000'] });
    await t.http
      .patch(`/api/users/${id}`)
      .set(t.auth(admin))
      .send({ scopes: ['341523101000'] })
      .expect(200);
    await t.http.post('/api/auth/login').send({ username: 'watched', password: 'wrong-password' }).expect(401);

    const res = await t.http.get(`/api/audit?entityType=user&entityId=${id}`).set(t.auth(admin)).expect(200);
    const actions = (res.body.items as { action: string }[]).map((i) => i.action);
    expect(actions).toEqual(['auth.login_failed', 'user.update', 'auth.login', 'user.create']);
    const update = res.body.items[1];
    expect(update).toMatchObject({
      actorName: 'admin',
      before: { scopes: ['341523100000'] },
      after: { scopes: ['341523101000'] },
    });
    expect(Date.parse(update.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(res.body.items[0]).toMatchObject({ actorName: 'watched', after: { reason: 'wrong password' } });

    const failures = await t.http.get('/api/audit?action=auth.login_failed').set(t.auth(admin)).expect(200);
    expect(failures.body.items.every((i: { action: string }) => i.action === 'auth.login_failed')).toBe(true);
    expect(failures.body.total).toBeGreaterThanOrEqual(1);
    const byActor = await t.http.get('/api/audit?actor=watched&pageSize=1').set(t.auth(admin)).expect(200);
    expect(byActor.body.items).toHaveLength(1);
    expect(byActor.body.total).toBe(2);
    const future = await t.http
      .get(`/api/audit?from=${new Date(Date.now() + 3_600_000).toISOString()}`)
      .set(t.auth(admin))
      .expect(200);
    expect(future.body).toEqual({ items: [], total: 0 });
    await t.http.get('/api/audit?from=yesterday').set(t.auth(admin)).expect(400);
  });

  it('keeps one unforked chain under concurrent writes', async () => {
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        t.http
          .post('/api/users')
          .set(t.auth(admin))
          .send({ username: `burst${i}`, password: 'longenough1', roles: ['viewer'], scopes: [] })
          .expect(201),
      ),
    );
    const result = await verify();
    expect(result).toMatchObject({ ok: true, firstBroken: null });
    const total = (await t.http.get('/api/audit?pageSize=1').set(t.auth(admin)).expect(200)).body.total;
    expect(result.checked).toBe(total);
  });

  it('commits the audit row with its transaction, or not at all', async () => {
    const audit = t.app.get(AuditService);
    const before = (await t.http.get('/api/audit?pageSize=1').set(t.auth(admin)).expect(200)).body.total;
    await expect(
      t.app.get(Transactions).run(async (tx) => {
        await audit.record({ actor: SYSTEM_ACTOR, action: 'test.rolled_back', entityType: 'test' }, tx);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    await audit.record({ actor: SYSTEM_ACTOR, action: 'test.kept', entityType: 'test', after: { n: 1 } });
    const after = await t.http.get('/api/audit?entityType=test').set(t.auth(admin)).expect(200);
    expect(after.body.items.map((i: { action: string }) => i.action)).toEqual(['test.kept']);
    expect(after.body.items[0].id).toBe(before + 1);
    expect((await verify()).ok).toBe(true);
  });

  it('refuses a forked row at the database level', async () => {
    const rows: { id: number; prevHash: string }[] = await t.dataSource.query(
      'SELECT id, prevHash FROM audit_log ORDER BY id DESC',
    );
    const last = rows[0];
    await expect(
      t.dataSource.query(
        'INSERT INTO audit_log (id, at, actorId, actorName, action, entityType, entityId, `before`, `after`, prevHash, hash) VALUES (?, ?, NULL, ?, ?, ?, NULL, NULL, NULL, ?, ?)',
        [last.id + 1, new Date(), 'mallory', 'fork', 'test', last.prevHash, 'f'.repeat(64)],
      ),
    ).rejects.toThrow();
  });

  it('reports the first broken link when a row is changed in the database', async () => {
    expect((await verify()).ok).toBe(true);
    await t.dataSource.query('UPDATE audit_log SET actorName = ? WHERE id = ?', ['mallory', 3]);
    const result = await verify();
    expect(result).toMatchObject({
      ok: false,
      checked: 2,
      firstBroken: { id: 3, reason: expect.stringMatching(/changed/) },
    });
  });

  it('is for administrators only', async () => {
    const { token } = await t.createUser({ username: 'nosy', roles: ['officer'], scopes: ['341523000000'] });
    await t.http.get('/api/audit').set(t.auth(token)).expect(403);
    await t.http.get('/api/audit/verify').set(t.auth(token)).expect(403);
  });
});
