/** Upstream exchange: senders, the inbox, the outbox, our EBDID counter; alerts learn where they came from. */
import { MigrationInterface, QueryRunner, Table, TableColumn, TableColumnOptions, TableIndex } from 'typeorm';

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

export class Upstream1796022000000 implements MigrationInterface {
  name = 'Upstream1796022000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'upstream_senders',
        columns: [
          id,
          str('kind', 8),
          str('code', 200),
          str('name', 64),
          str('certSn', 64, true),
          str('publicKey', 130, true),
          str('url', 500, true),
          text('dispatchSeverities'),
          { name: 'enabled', type: 'boolean' },
          time('createdAt'),
          time('updatedAt'),
        ],
        indices: [
          new TableIndex({ name: 'UQ_upstream_senders_kind_code', columnNames: ['kind', 'code'], isUnique: true }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'upstream_messages',
        columns: [
          id,
          str('kind', 8),
          time('receivedAt'),
          str('remoteAddress', 64, true),
          int('senderId', true),
          str('senderCode', 200, true),
          str('messageId', 200, true),
          str('messageType', 32, true),
          str('alertRef', 200, true),
          str('verification', 16),
          text('verificationDetail', true),
          int('resultCode', true),
          str('disposition', 16),
          text('dispositionDetail', true),
          int('alertId', true),
          str('fileName', 200),
          str('sha256', 64),
          int('size'),
        ],
        indices: [
          new TableIndex({ name: 'IDX_upstream_messages_kind_message', columnNames: ['kind', 'messageId'] }),
          new TableIndex({ name: 'IDX_upstream_messages_received', columnNames: ['receivedAt'] }),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'upstream_outbox',
        columns: [
          id,
          int('senderId'),
          str('url', 500),
          str('ebdId', 64),
          str('ebdType', 32),
          str('alertRef', 64, true),
          str('sha256', 64),
          str('state', 8),
          int('attempts'),
          int('maxAttempts'),
          time('nextAttemptAt'),
          text('lastError', true),
          int('resultCode', true),
          time('createdAt'),
          time('sentAt', true),
        ],
        indices: [new TableIndex({ name: 'IDX_upstream_outbox_due', columnNames: ['state', 'nextAttemptAt'] })],
      }),
    );
    await q.createTable(
      new Table({ name: 'ebd_id_sequences', columns: [{ ...str('day', 8), isPrimary: true }, int('last')] }),
    );
    await q.addColumn('alerts', new TableColumn(str('source', 8, true)));
    await q.addColumn('alerts', new TableColumn(str('upstreamId', 200, true)));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('alerts', 'upstreamId');
    await q.dropColumn('alerts', 'source');
    for (const t of ['ebd_id_sequences', 'upstream_outbox', 'upstream_messages', 'upstream_senders'])
      await q.dropTable(t);
  }
}
