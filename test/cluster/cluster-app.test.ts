/**
 * The server with and without DALABA_CLUSTER: off (the default) is one instance owning every bus that never touches
 * the cluster tables; on (MariaDB) joins the cluster at start and leaves it at shutdown.
 */
import { LeaseManager, busKey } from '../../src/cluster/lease-manager';
import { createTestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { describeWith } from '../support/capabilities';

forEachDatabase('cluster off', (database) => {
  it('owns every bus and writes nothing to the cluster tables', async () => {
    const t = await createTestApp({ database });
    try {
      const leases = t.app.get(LeaseManager);
      expect(leases.clustered).toBe(false);
      expect(leases.describe()).toBe('single instance: owns every bus');
      expect(leases.holds(busKey(1))).toBe(true);
      expect(await t.dataSource.query('SELECT id FROM cluster_instance')).toEqual([]);
      expect(await t.dataSource.query('SELECT resourceKey FROM cluster_lease')).toEqual([]);
    } finally {
      await t.close();
    }
  });
});

describeWith(['mysql'], 'cluster on [mariadb]', () => {
  it('joins the cluster at start, takes a singleton, and leaves (releasing it) at shutdown', async () => {
    const t = await createTestApp({
      database: 'mysql',
      env: { DALABA_CLUSTER: 'on', DALABA_INSTANCE_ID: 'ctl-test-1', DALABA_LEASE_MS: '60000' },
    });
    try {
      const leases = t.app.get(LeaseManager);
      expect(leases.clustered).toBe(true);
      const key = leases.addSingleton('probe');
      await leases.idle();
      expect(await t.dataSource.query('SELECT id FROM cluster_instance')).toEqual([{ id: 'ctl-test-1' }]);
      // a restart of the loop renews at once (otherwise the next renewal is 20 s away)
      await leases.stop();
      leases.start();
      await leases.idle();
      expect(leases.holds(key)).toBe(true);
      const epoch = leases.epochOf(key);
      expect(epoch).toBeGreaterThanOrEqual(1);
      await leases.stop();
      expect(await t.dataSource.query('SELECT id FROM cluster_instance')).toEqual([]);
      const [row] = await t.dataSource.query<{ owner: string | null; epoch: string | number }[]>(
        'SELECT owner, epoch FROM cluster_lease WHERE resourceKey = ?',
        [key],
      );
      expect({ owner: row.owner, epoch: Number(row.epoch) }).toEqual({ owner: null, epoch });
    } finally {
      await t.close();
    }
  });
});
