/** Monitoring: last known status per terminal, its change history, online rate by day, alarms. */
import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

const id: TableColumnOptions = {
  name: 'id',
  type: 'integer',
  isPrimary: true,
  isGenerated: true,
  generationStrategy: 'increment',
};
const connectivity = (name: string): TableColumnOptions => ({ name, type: 'varchar', length: '8' });

export class Monitoring1795402000000 implements MigrationInterface {
  name = 'Monitoring1795402000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'terminal_status',
        columns: [
          { name: 'terminalId', type: 'integer', isPrimary: true },
          { name: 'areaCode', type: 'varchar', length: '15' },
          { name: 'gatewayId', type: 'integer' },
          connectivity('connectivity'),
          { name: 'online', type: 'boolean' },
          { name: 'since', type: 'datetime', precision: 3 },
          { name: 'lastSeen', type: 'datetime', precision: 3, isNullable: true },
          { name: 'failures', type: 'integer' },
          { name: 'lastError', type: 'varchar', length: '32', isNullable: true },
          { name: 'errorCounts', type: 'text' },
          { name: 'reading', type: 'text', isNullable: true },
          { name: 'updatedAt', type: 'datetime', precision: 3 },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'terminal_status_history',
        columns: [
          id,
          { name: 'terminalId', type: 'integer' },
          { name: 'areaCode', type: 'varchar', length: '15' },
          { name: 'at', type: 'datetime', precision: 3 },
          connectivity('previous'),
          connectivity('connectivity'),
          { name: 'fields', type: 'text' },
          { name: 'lastError', type: 'varchar', length: '32', isNullable: true },
          { name: 'reading', type: 'text', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'IDX_status_history_terminal_at', columnNames: ['terminalId', 'at'] }),
          new TableIndex({ name: 'IDX_status_history_at', columnNames: ['at'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'online_rate_daily',
        columns: [
          id,
          { name: 'areaCode', type: 'varchar', length: '15' },
          { name: 'day', type: 'varchar', length: '10' },
          { name: 'samples', type: 'integer' },
          { name: 'onlineSum', type: 'integer' },
          { name: 'registeredSum', type: 'integer' },
          { name: 'minPercent', type: 'double' },
          { name: 'maxPercent', type: 'double' },
          { name: 'updatedAt', type: 'datetime', precision: 3 },
        ],
        indices: [
          new TableIndex({ name: 'UQ_online_rate_daily_area_day', columnNames: ['areaCode', 'day'], isUnique: true }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'alarms',
        columns: [
          id,
          { name: 'alarmKey', type: 'varchar', length: '128' },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'state', type: 'varchar', length: '8' },
          { name: 'areaCode', type: 'varchar', length: '15' },
          { name: 'gatewayId', type: 'integer', isNullable: true },
          { name: 'terminalId', type: 'integer', isNullable: true },
          { name: 'fault', type: 'varchar', length: '32', isNullable: true },
          { name: 'terminalIds', type: 'text' },
          { name: 'raisedAt', type: 'datetime', precision: 3 },
          { name: 'clearedAt', type: 'datetime', precision: 3, isNullable: true },
          { name: 'flaps', type: 'integer' },
          { name: 'acknowledgedBy', type: 'varchar', length: '64', isNullable: true },
          { name: 'acknowledgedAt', type: 'datetime', precision: 3, isNullable: true },
          { name: 'lastRemindedAt', type: 'datetime', precision: 3 },
          { name: 'reminders', type: 'integer' },
        ],
        indices: [
          new TableIndex({ name: 'IDX_alarms_state', columnNames: ['state'] }),
          new TableIndex({ name: 'IDX_alarms_key', columnNames: ['alarmKey'] }),
          new TableIndex({ name: 'IDX_alarms_area', columnNames: ['areaCode'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['alarms', 'online_rate_daily', 'terminal_status_history', 'terminal_status']) await q.dropTable(t);
  }
}
