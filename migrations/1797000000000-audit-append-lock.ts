/**
 * One row every appender to the audit chain locks first on MySQL/MariaDB (src/audit/audit.repository.ts,
 * docs/cluster.md "One audit chain"): appends of several instances sharing the database then take their turn, each
 * reading the head the previous one committed, instead of one failing on the chain's guards.
 */
import { MigrationInterface, QueryRunner, Table } from 'typeorm';

export class AuditAppendLock1797000000000 implements MigrationInterface {
  name = 'AuditAppendLock1797000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({ name: 'audit_append_lock', columns: [{ name: 'id', type: 'integer', isPrimary: true }] }),
    );
    await q.query('INSERT INTO audit_append_lock (id) VALUES (1)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audit_append_lock');
  }
}
