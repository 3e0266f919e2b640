/**
 * Held schedules (src/relay/held, terminal-modbus PROTOCOL.md §9): the tables written to terminals (relay_held_tables,
 * so a play a terminal reports later is traced to its slot), and the as-run rows a terminal played by itself
 * (relay_as_run.heldPlay, null on the rows before it: no database default, see index.ts).
 */
import { MigrationInterface, QueryRunner, Table, TableColumn, TableIndex } from 'typeorm';

export class RelayHeld1796400000000 implements MigrationInterface {
  name = 'RelayHeld1796400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'relay_held_tables',
        columns: [
          { name: 'id', type: 'integer', isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          { name: 'terminalId', type: 'integer' },
          { name: 'tableId', type: 'integer' },
          { name: 'digest', type: 'varchar', length: '64' },
          { name: 'entries', type: 'text' },
          { name: 'validUntil', type: 'datetime', precision: 3 },
          { name: 'verifiedAt', type: 'datetime', precision: 3 },
        ],
        indices: [new TableIndex({ name: 'IDX_relay_held_tables_terminal', columnNames: ['terminalId', 'tableId'] })],
      }),
    );
    await q.addColumn('relay_as_run', new TableColumn({ name: 'heldPlay', type: 'boolean', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('relay_as_run', 'heldPlay');
    await q.dropTable('relay_held_tables');
  }
}
