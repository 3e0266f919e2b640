/** Dispatch: broadcasts (one per DispatchOrder) and their deliveries (one per targeted terminal). */
import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

const id: TableColumnOptions = {
  name: 'id',
  type: 'integer',
  isPrimary: true,
  isGenerated: true,
  generationStrategy: 'increment',
};
const time = (name: string, isNullable = false): TableColumnOptions => ({
  name,
  type: 'datetime',
  precision: 3,
  isNullable,
});

export class Dispatch1795404000000 implements MigrationInterface {
  name = 'Dispatch1795404000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'broadcasts',
        columns: [
          id,
          { name: 'broadcastId', type: 'varchar', length: '35' },
          { name: 'alertId', type: 'integer' },
          { name: 'title', type: 'varchar', length: '128' },
          { name: 'eventType', type: 'varchar', length: '8' },
          { name: 'severity', type: 'integer' },
          { name: 'messageType', type: 'varchar', length: '16' },
          { name: 'broadcastClass', type: 'integer' },
          { name: 'priority', type: 'integer' },
          { name: 'clipId', type: 'varchar', length: '64' },
          { name: 'repeat', type: 'integer' },
          { name: 'volume', type: 'integer' },
          time('startAt'),
          time('endAt'),
          { name: 'emergency', type: 'boolean' },
          { name: 'drill', type: 'boolean' },
          { name: 'userId', type: 'integer' },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'targeted', type: 'integer' },
          time('createdAt'),
          time('startedAt', true),
          time('finishedAt', true),
          time('cancelRequestedAt', true),
          { name: 'cancelledBy', type: 'integer', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'UQ_broadcasts_broadcast_id', columnNames: ['broadcastId'], isUnique: true }),
          new TableIndex({ name: 'IDX_broadcasts_alert', columnNames: ['alertId'] }),
          new TableIndex({ name: 'IDX_broadcasts_state', columnNames: ['state'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'deliveries',
        columns: [
          id,
          { name: 'broadcastId', type: 'varchar', length: '35' },
          { name: 'terminalId', type: 'integer' },
          { name: 'gatewayId', type: 'integer', isNullable: true },
          { name: 'unit', type: 'integer', isNullable: true },
          { name: 'areaCode', type: 'varchar', length: '15' },
          { name: 'terminalName', type: 'varchar', length: '64' },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'reason', type: 'varchar', length: '255', isNullable: true },
          { name: 'attempts', type: 'integer' },
          { name: 'terminalClipId', type: 'integer', isNullable: true },
          time('startSentAt', true),
          time('verifiedAt', true),
          time('finishedAt', true),
          { name: 'preemptedBroadcastId', type: 'varchar', length: '35', isNullable: true },
          { name: 'preemptedPriority', type: 'integer', isNullable: true },
          time('updatedAt'),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_deliveries_broadcast_terminal',
            columnNames: ['broadcastId', 'terminalId'],
            isUnique: true,
          }),
          new TableIndex({ name: 'IDX_deliveries_broadcast_state', columnNames: ['broadcastId', 'state'] }),
          new TableIndex({ name: 'IDX_deliveries_terminal', columnNames: ['terminalId'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['deliveries', 'broadcasts']) await q.dropTable(t);
  }
}
