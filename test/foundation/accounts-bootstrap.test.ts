import { ConfigError } from '../../src/config/env-values';
import { createTestApp } from '../support/app';
import { createTestDatabase } from '../support/databases';

describe('accounts at start', () => {
  it('refuses to start without DALABA_ADMIN_PASSWORD on first start, naming the variable', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const start = createTestApp({ database: 'sqlite', db, env: { DALABA_ADMIN_PASSWORD: '' } });
      await expect(start).rejects.toThrow(ConfigError);
      await expect(createTestApp({ database: 'sqlite', db, env: { DALABA_ADMIN_PASSWORD: '' } })).rejects.toThrow(
        /^DALABA_ADMIN_PASSWORD: is required on first start/,
      );
    } finally {
      await db.drop();
    }
  });

  it('starts the demo without an admin password, with one account per role scoped to the demo county', async () => {
    const t = await createTestApp({
      database: 'sqlite',
      demo: true,
      env: { DALABA_ADMIN_PASSWORD: '', DALABA_DEMO_PASSWORD: 'demo-password-1' },
    });
    try {
      for (const role of ['admin', 'officer', 'approver', 'technician', 'viewer']) {
        const token = await t.login(role, 'demo-password-1');
        const me = await t.http.get('/api/auth/me').set(t.auth(token)).expect(200);
        expect(me.body).toMatchObject({
          username: role,
          roles: [role],
          scopes: role === 'admin' ? [] : ['341523000000'],
        });
      }
    } finally {
      await t.close();
    }
  });

  it('generates the demo password once into the data folder and keeps it across restarts', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const first = await createTestApp({ database: 'sqlite', db, demo: true, env: { DALABA_ADMIN_PASSWORD: '' } });
      const token = await first.adminToken();
      expect(token).toBeTruthy();
      await first.close({ keepDatabase: true });
      const second = await createTestApp({ database: 'sqlite', db, demo: true, env: { DALABA_ADMIN_PASSWORD: '' } });
      try {
        await second.adminToken();
        const unknownFilter = await second.http
          .get('/api/audit?colour=red')
          .set(second.auth(await second.adminToken()));
        expect(unknownFilter.status).toBe(400); // unknown query fields are refused
        const created = await second.http
          .get('/api/audit?actor=system&entityType=user&action=user.create')
          .set(second.auth(await second.adminToken()))
          .expect(200);
        expect(created.body.total).toBe(5); // five accounts created on the first start, nothing rewritten on the second
      } finally {
        await second.close();
      }
    } finally {
      await db.drop();
    }
  });
});
