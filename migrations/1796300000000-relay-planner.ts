/**
 * The relay planner (src/relay/planner): a broadcast may play a live source (broadcasts.source, sourceParam), and each
 * planned slot of a published schedule is remembered with the broadcast that plays it (relay_slot_runs), so that a
 * restarted server neither plans a slot twice nor loses its end.
 */
import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

export class RelayPlanner1796300000000 implements MigrationInterface {
  name = 'RelayPlanner1796300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn(
      'broadcasts',
      new TableColumn({ name: 'source', type: 'varchar', length: '8', isNullable: true }),
    );
    await q.addColumn('broadcasts', new TableColumn({ name: 'sourceParam', type: 'integer', isNullable: true }));
    await q.createTable(
      new Table({
        name: 'relay_slot_runs',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'scheduleId', type: 'integer' },
          { name: 'revision', type: 'integer' },
          { name: 'plannedStart', type: 'datetime', precision: 3 },
          { name: 'plannedEnd', type: 'datetime', precision: 3 },
          { name: 'broadcastId', type: 'varchar', length: '35' },
          { name: 'state', type: 'varchar', length: '12' },
          { name: 'terminalIds', type: 'text' },
          { name: 'createdAt', type: 'datetime', precision: 3 },
          { name: 'updatedAt', type: 'datetime', precision: 3 },
        ],
        indices: [
          new TableIndex({
            name: 'UQ_relay_slot_runs_slot',
            columnNames: ['scheduleId', 'plannedStart'],
            isUnique: true,
          }),
          new TableIndex({ name: 'IDX_relay_slot_runs_state', columnNames: ['state'] }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('relay_slot_runs');
    await q.dropColumn('broadcasts', 'sourceParam');
    await q.dropColumn('broadcasts', 'source');
  }
}
