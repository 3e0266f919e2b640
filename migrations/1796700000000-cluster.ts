/** Several instances on one database (src/cluster, docs/cluster.md): the instances alive and the leases they hold. */
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

export class Cluster1796700000000 implements MigrationInterface {
  name = 'Cluster1796700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'cluster_instance',
        columns: [
          { name: 'id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'label', type: 'varchar', length: '200' },
          { name: 'startedAt', type: 'datetime', precision: 3 },
          { name: 'lastHeartbeat', type: 'datetime', precision: 3 },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'cluster_lease',
        columns: [
          { name: 'resourceKey', type: 'varchar', length: '100', isPrimary: true },
          { name: 'owner', type: 'varchar', length: '64', isNullable: true },
          { name: 'epoch', type: 'bigint' },
          { name: 'expiresAt', type: 'datetime', precision: 3 },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('cluster_lease');
    await q.dropTable('cluster_instance');
  }
}
