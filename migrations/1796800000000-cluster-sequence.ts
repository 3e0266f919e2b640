/**
 * The cluster's command sequence (src/cluster/sequence-store.ts, docs/cluster.md "Signed commands across owners"):
 * one row holding the end of the last block of sequence numbers any instance reserved, and the serial of the
 * certificate every instance of the cluster signs with.
 */
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

export class ClusterSequence1796800000000 implements MigrationInterface {
  name = 'ClusterSequence1796800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'cluster_sequence',
        columns: [
          { name: 'name', type: 'varchar', length: '32', isPrimary: true },
          { name: 'certificateSerial', type: 'varchar', length: '32' },
          { name: 'reservedUpTo', type: 'bigint' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('cluster_sequence');
  }
}
