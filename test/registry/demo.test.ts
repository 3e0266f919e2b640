import { AccountsBootstrap } from '../../src/auth/accounts.bootstrap';
import { DemoRegistrySeeder } from '../../src/field/demo-registry.seeder';
import { FieldBuses } from '../../src/field/field-buses';
import { createTestApp } from '../support/app';
import { createTestDatabase } from '../support/databases';

describe('demo registry [sqlite]', () => {
  it('seeds the reference county once, across restarts; the officer sees exactly a town’s terminals', async () => {
    const db = await createTestDatabase('sqlite');
    try {
      const t = await createTestApp({ database: 'sqlite', db, demo: true });
      const officer = await t.login('officer', t.app.get(AccountsBootstrap).demoPassword ?? '');
      const admin = await t.adminToken();
      const all = await t.http.get('/api/terminals?pageSize=1').set(t.auth(admin)).expect(200);
      expect(all.body.total).toBe(3300);
      const gateways = await t.http.get('/api/gateways?pageSize=1').set(t.auth(admin)).expect(200);
      expect(gateways.body.total).toBe(280);
      const town = await t.http
        .get('/api/terminals?areaCode=341523101000&pageSize=500')
        .set(t.auth(officer))
        .expect(200);
      expect(town.body.items).toHaveLength(town.body.total);
      expect(town.body.total).toBeGreaterThan(100);
      expect((town.body.items as { areaCode: string }[]).every((x) => x.areaCode.startsWith('341523101'))).toBe(true);
      const tree = await t.http.get('/api/regions/tree').set(t.auth(admin)).expect(200);
      expect(tree.body[0]).toMatchObject({ code: '341523000000', terminalCount: 3300 });
      expect(tree.body[0].children).toHaveLength(25);
      const audit = await t.http.get('/api/audit?action=registry.demo_seed').set(t.auth(admin)).expect(200);
      expect(audit.body.total).toBe(1);
      // the field is off here (DALABA_FIELD=off): nobody polls, yet every registered terminal counts, as unknown
      await t.app.get(FieldBuses).settled();
      const rate = await t.http.get('/api/monitoring/online-rate?areaCode=341523000000').set(t.auth(admin)).expect(200);
      expect(rate.body.area).toEqual({
        areaCode: '341523000000',
        registered: 3300,
        online: 0,
        unknown: 3300,
        ratePercent: 0,
      });
      await t.close({ keepDatabase: true });

      const again = await createTestApp({ database: 'sqlite', db, demo: true });
      expect(await again.app.get(DemoRegistrySeeder).seed()).toMatchObject({ seeded: false });
      const token = await again.adminToken();
      expect((await again.http.get('/api/terminals?pageSize=1').set(again.auth(token)).expect(200)).body.total).toBe(
        3300,
      );
      expect(
        (await again.http.get('/api/audit?action=registry.demo_seed').set(again.auth(token)).expect(200)).body.total,
      ).toBe(1);
      await again.close({ keepDatabase: true });
    } finally {
      await db.drop();
    }
  }, 60_000);
});
