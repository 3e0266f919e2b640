/** Alerts and the per-day sequence of broadcast ids (EBMID). */
import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

const time = (name: string, isNullable = false): TableColumnOptions => ({
  name,
  type: 'datetime',
  precision: 3,
  isNullable,
});
const int = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'integer', isNullable });
const text = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'text', isNullable });

export class Alerts1795403000000 implements MigrationInterface {
  name = 'Alerts1795403000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'alerts',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'broadcastId', type: 'varchar', length: '35', isNullable: true },
          { name: 'state', type: 'varchar', length: '24' },
          { name: 'eventType', type: 'varchar', length: '5' },
          int('severity'),
          { name: 'messageType', type: 'varchar', length: '16' },
          { name: 'title', type: 'varchar', length: '200' },
          text('text'),
          { name: 'language', type: 'varchar', length: '16' },
          text('targets'),
          text('areaIndex'),
          text('audio'),
          { name: 'clipId', type: 'varchar', length: '64', isNullable: true },
          int('repeat'),
          int('volume'),
          time('startAt', true),
          time('endAt'),
          int('terminalCount', true),
          int('createdById'),
          { name: 'createdByName', type: 'varchar', length: '64' },
          int('submittedById', true),
          time('submittedAt', true),
          int('approvedById', true),
          time('approvedAt', true),
          int('rejectedById', true),
          time('rejectedAt', true),
          text('rejectionReason', true),
          text('emergencyReason', true),
          int('confirmedById', true),
          time('confirmedAt', true),
          { name: 'cancelRequested', type: 'boolean' },
          int('cancelledById', true),
          text('outcomeDetail', true),
          time('createdAt'),
          time('updatedAt'),
        ],
        indices: [
          new TableIndex({ name: 'UQ_alerts_broadcast_id', columnNames: ['broadcastId'], isUnique: true }),
          new TableIndex({ name: 'IDX_alerts_state', columnNames: ['state'] }),
          new TableIndex({ name: 'IDX_alerts_created_at', columnNames: ['createdAt'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'broadcast_id_sequences',
        columns: [
          { name: 'sender', type: 'varchar', length: '23', isPrimary: true },
          { name: 'day', type: 'varchar', length: '8', isPrimary: true },
          int('last'),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('broadcast_id_sequences');
    await q.dropTable('alerts');
  }
}
