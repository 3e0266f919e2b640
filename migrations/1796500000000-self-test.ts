/** Periodic tests (src/selftest): each terminal's self-tests and audible tests, and each county's audible-test plan. */
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

export class SelfTest1796500000000 implements MigrationInterface {
  name = 'SelfTest1796500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'self_tests',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'terminalId', type: 'integer' },
          { name: 'areaCode', type: 'varchar', length: '15' },
          { name: 'gatewayId', type: 'integer' },
          { name: 'kind', type: 'varchar', length: '8' },
          { name: 'origin', type: 'varchar', length: '8' },
          { name: 'dueDay', type: 'varchar', length: '10' },
          { name: 'testId', type: 'integer' },
          { name: 'startedAt', type: 'datetime', precision: 3 },
          { name: 'finishedAt', type: 'datetime', precision: 3 },
          { name: 'outcome', type: 'varchar', length: '16' },
          { name: 'checks', type: 'text', isNullable: true },
          { name: 'detail', type: 'varchar', length: '200', isNullable: true },
          { name: 'requestedBy', type: 'varchar', length: '64', isNullable: true },
        ],
        indices: [
          new TableIndex({ name: 'IDX_self_tests_terminal', columnNames: ['terminalId', 'startedAt'] }),
          new TableIndex({ name: 'IDX_self_tests_day', columnNames: ['dueDay', 'kind'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'audible_test_plans',
        columns: [
          { name: 'areaCode', type: 'varchar', length: '15', isPrimary: true },
          { name: 'enabled', type: 'boolean' },
          { name: 'dayOfMonth', type: 'integer' },
          { name: 'time', type: 'varchar', length: '5' },
          { name: 'seconds', type: 'integer' },
          { name: 'volume', type: 'integer' },
          { name: 'updatedBy', type: 'varchar', length: '64' },
          { name: 'updatedAt', type: 'datetime', precision: 3 },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audible_test_plans');
    await q.dropTable('self_tests');
  }
}
