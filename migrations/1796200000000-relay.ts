/** Daily programme relay: programmes, schedules, their review history and the as-run log (src/relay). */
import { MigrationInterface, QueryRunner, Table, TableColumnOptions, TableIndex } from 'typeorm';

const time = (name: string, isNullable = false): TableColumnOptions => ({
  name,
  type: 'datetime',
  precision: 3,
  isNullable,
});
const int = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'integer', isNullable });
const text = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'text', isNullable });
const str = (name: string, length: number, isNullable = false): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  isNullable,
});
const id: TableColumnOptions = {
  name: 'id',
  type: 'integer',
  isPrimary: true,
  isGenerated: true,
  generationStrategy: 'increment',
};

export class Relay1796200000000 implements MigrationInterface {
  name = 'Relay1796200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'relay_programmes',
        columns: [
          id,
          str('name', 200),
          text('source'),
          text('fallback', true),
          int('minSignalQuality', true),
          int('volume'),
          str('priorityClass', 8),
          int('priority'),
          text('targets'),
          text('areaIndex'),
          int('createdById'),
          time('createdAt'),
          time('updatedAt'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'relay_schedules',
        columns: [
          id,
          int('programmeId'),
          str('state', 12),
          int('revision'),
          text('recurrence'),
          int('createdById'),
          int('submittedById', true),
          time('submittedAt', true),
          text('rejectionReason', true),
          { name: 'onAir', type: 'boolean' },
          text('published', true),
          int('publishedById', true),
          time('publishedAt', true),
          time('firstPublishedAt', true),
          time('createdAt'),
          time('updatedAt'),
        ],
        indices: [
          new TableIndex({ name: 'IDX_relay_schedules_programme', columnNames: ['programmeId'] }),
          new TableIndex({ name: 'IDX_relay_schedules_on_air', columnNames: ['onAir'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'relay_schedule_revisions',
        columns: [
          id,
          int('scheduleId'),
          int('revision'),
          time('at'),
          str('action', 16),
          int('userId'),
          str('userName', 64),
          text('changes', true),
        ],
        indices: [new TableIndex({ name: 'IDX_relay_schedule_revisions_schedule', columnNames: ['scheduleId', 'id'] })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'relay_as_run',
        columns: [
          id,
          int('terminalId'),
          str('areaCode', 15),
          int('scheduleId'),
          int('programmeId'),
          str('programmeName', 200),
          int('revision'),
          str('day', 10),
          time('plannedStart'),
          time('plannedEnd'),
          time('actualStart', true),
          time('actualEnd', true),
          str('source', 12, true),
          text('interruptions'),
          time('updatedAt'),
        ],
        indices: [
          new TableIndex({
            name: 'UQ_relay_as_run_slot',
            columnNames: ['terminalId', 'scheduleId', 'plannedStart'],
            isUnique: true,
          }),
          new TableIndex({ name: 'IDX_relay_as_run_day', columnNames: ['day', 'areaCode'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('relay_as_run');
    await q.dropTable('relay_schedule_revisions');
    await q.dropTable('relay_schedules');
    await q.dropTable('relay_programmes');
  }
}
