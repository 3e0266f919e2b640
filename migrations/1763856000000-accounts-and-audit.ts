/** Accounts (users with roles and area scopes) and the hash-chained audit log. */
import { MigrationInterface, QueryRunner, Table, TableIndex } from 'typeorm';

export class AccountsAndAudit1763856000000 implements MigrationInterface {
  name = 'AccountsAndAudit1763856000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'users',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'username', type: 'varchar', length: '64' },
          { name: 'passwordHash', type: 'varchar', length: '255' },
          { name: 'roles', type: 'text' },
          { name: 'scopes', type: 'text' },
          { name: 'disabled', type: 'boolean' },
          { name: 'createdAt', type: 'datetime', precision: 3 },
          { name: 'updatedAt', type: 'datetime', precision: 3 },
        ],
        indices: [new TableIndex({ name: 'UQ_users_username', columnNames: ['username'], isUnique: true })],
      }),
    );
    await q.createTable(
      new Table({
        name: 'audit_log',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true },
          { name: 'at', type: 'datetime', precision: 3 },
          { name: 'actorId', type: 'integer', isNullable: true },
          { name: 'actorName', type: 'varchar', length: '64' },
          { name: 'action', type: 'varchar', length: '64' },
          { name: 'entityType', type: 'varchar', length: '64' },
          { name: 'entityId', type: 'varchar', length: '64', isNullable: true },
          { name: 'before', type: 'text', isNullable: true },
          { name: 'after', type: 'text', isNullable: true },
          { name: 'prevHash', type: 'varchar', length: '64' },
          { name: 'hash', type: 'varchar', length: '64' },
        ],
        indices: [
          new TableIndex({ name: 'IDX_audit_entity', columnNames: ['entityType', 'entityId'] }),
          new TableIndex({ name: 'IDX_audit_actor', columnNames: ['actorName'] }),
          new TableIndex({ name: 'IDX_audit_at', columnNames: ['at'] }),
          new TableIndex({ name: 'UQ_audit_prev_hash', columnNames: ['prevHash'], isUnique: true }),
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audit_log');
    await q.dropTable('users');
  }
}
