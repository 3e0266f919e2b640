/**
 * Access control: the revision history of every alert (`alert_revisions`: who created, edited, submitted, rejected,
 * approved, sent on the one-key path, confirmed or cancelled it, when, and for edits the changed fields), and a
 * session version per account (`users.tokenVersion`: raised when the account is disabled, re-enabled or narrowed,
 * which ends every token issued before).
 */
import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

export class AccessControl1796018000000 implements MigrationInterface {
  name = 'AccessControl1796018000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'alert_revisions',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'alertId', type: 'integer' },
          { name: 'at', type: 'datetime', precision: 3 },
          { name: 'action', type: 'varchar', length: '16' },
          { name: 'userId', type: 'integer' },
          { name: 'userName', type: 'varchar', length: '64' },
          { name: 'changes', type: 'text', isNullable: true },
        ],
        indices: [new TableIndex({ name: 'IDX_alert_revisions_alert', columnNames: ['alertId', 'id'] })],
      }),
    );
    await q.addColumn('users', new TableColumn({ name: 'tokenVersion', type: 'integer', default: 0 }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('users', 'tokenVersion');
    await q.dropTable('alert_revisions');
  }
}
