/**
 * In a cluster, each bus as its holder last published it (src/monitoring/bus-summary.ts, docs/cluster.md "Monitoring
 * across instances"): the gateway's connection, its terminals' connectivity, counts per area. The other instances
 * read what each holder wrote since they last looked (by holder and `writtenAt`, hence the index). Unused by a single
 * instance.
 */
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

export class BusStatus1797400000000 implements MigrationInterface {
  name = 'BusStatus1797400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'bus_status',
        columns: [
          { name: 'gatewayId', type: 'integer', isPrimary: true },
          { name: 'areaCode', type: 'varchar', length: '15' },
          { name: 'holder', type: 'varchar', length: '64' },
          { name: 'epoch', type: 'integer' },
          { name: 'connection', type: 'varchar', length: '12' },
          { name: 'since', type: 'datetime', precision: 3 },
          { name: 'detail', type: 'varchar', length: '255', isNullable: true },
          { name: 'terminals', type: 'text' },
          { name: 'areas', type: 'text' },
          { name: 'writtenAt', type: 'datetime', precision: 3 },
        ],
        indices: [new TableIndex({ name: 'IDX_bus_status_holder_written', columnNames: ['holder', 'writtenAt'] })],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('bus_status');
  }
}
