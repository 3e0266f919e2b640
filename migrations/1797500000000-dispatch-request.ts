/**
 * Requests for the holder of a bus in a cluster (`dispatch_request`, src/dispatch/dispatch-request.entity.ts,
 * docs/cluster.md "Requests for the other holders"): a relay slot's late start on a terminal of another instance's
 * bus, and the stop at a slot's end on every bus, acted on and deleted by the bus's holder. Unused by a single
 * instance.
 */
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

export class DispatchRequest1797500000000 implements MigrationInterface {
  name = 'DispatchRequest1797500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'dispatch_request',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'broadcastId', type: 'varchar', length: '35' },
          { name: 'gatewayId', type: 'integer' },
          { name: 'terminalId', type: 'integer', isNullable: true },
          { name: 'requestedBy', type: 'varchar', length: '64' },
          { name: 'requestedAt', type: 'datetime', precision: 3 },
        ],
      }),
    );
    await q.createIndex(
      'dispatch_request',
      new TableIndex({ name: 'IDX_dispatch_request_broadcast', columnNames: ['broadcastId'] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('dispatch_request');
  }
}
