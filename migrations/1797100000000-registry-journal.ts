/**
 * The registry's changes as a journal in the shared database (src/terminals/registry-journal.ts, docs/cluster.md
 * "Registry changes across instances"): which gateway or terminal changed, through which instance; the others read it
 * and apply the change to their buses. Unused by a single instance.
 */
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

export class RegistryJournal1797100000000 implements MigrationInterface {
  name = 'RegistryJournal1797100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'registry_change',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'entityId', type: 'integer' },
          { name: 'origin', type: 'varchar', length: '64' },
          { name: 'changedAt', type: 'datetime', precision: 3 },
        ],
      }),
    );
    await q.createIndex(
      'registry_change',
      new TableIndex({ name: 'IDX_registry_change_at', columnNames: ['changedAt'] }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('registry_change');
  }
}
