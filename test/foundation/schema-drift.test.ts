/**
 * The entities (ENTITIES) and the migrations (MIGRATIONS) describe the same schema, on SQLite and on MariaDB: after
 * the migrations ran, TypeORM's schema builder has nothing left to change. A restart on the same database keeps the
 * data and applies no migration twice.
 */
import { MIGRATIONS } from '../../migrations';
import { createTestApp } from '../support/app';
import { createTestDatabase, forEachDatabase } from '../support/databases';

forEachDatabase('schema', (database) => {
  it('has no drift between entities and migrations', async () => {
    const t = await createTestApp({ database });
    try {
      if (database === 'mysql') {
        // MariaDB is driven with TypeORM's `mariadb` type (the `mysql` type loses JSON data there)
        const [{ v }] = await t.dataSource.query<{ v: string }[]>('SELECT VERSION() AS v');
        expect(t.dataSource.options.type).toBe(/mariadb/i.test(v) ? 'mariadb' : 'mysql');
      }
      const pending = await t.dataSource.driver.createSchemaBuilder().log();
      const statements = pending.upQueries.map((q) => q.query);
      expect(statements).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('keeps data across a restart on the same database and applies each migration once', async () => {
    const db = await createTestDatabase(database);
    try {
      const first = await createTestApp({ database, db });
      const { id } = await first.createUser({ username: 'survivor', roles: ['viewer'], scopes: ['341523000000'] });
      const admin = await first.adminToken();
      const auditBefore = (await first.http.get('/api/audit').set(first.auth(admin)).expect(200)).body.total as number;
      await first.close({ keepDatabase: true });

      const second = await createTestApp({ database, db });
      try {
        const executed = await second.dataSource.query('SELECT name FROM migrations');
        expect((executed as { name: string }[]).map((r) => r.name).sort()).toEqual(
          MIGRATIONS.map((M) => new M().name).sort(),
        );
        const token = await second.login('survivor', 'user-test-password');
        const me = await second.http.get('/api/auth/me').set(second.auth(token)).expect(200);
        expect(me.body).toMatchObject({ id, username: 'survivor', scopes: ['341523000000'] });
        const admin2 = await second.adminToken();
        const audit = await second.http.get('/api/audit').set(second.auth(admin2)).expect(200);
        expect(audit.body.total).toBeGreaterThan(auditBefore);
        const verified = await second.http.get('/api/audit/verify').set(second.auth(admin2)).expect(200);
        expect(verified.body).toMatchObject({
          ok: true,
          checked: audit.body.total,
          firstBroken: null,
          missingTail: null,
        });
      } finally {
        await second.close();
      }
    } finally {
      await db.drop();
    }
  });
});
