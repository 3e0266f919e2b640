/**
 * deliveries.startSequence: the sequence number of the last signed start sent for the delivery (bus-wide or its own).
 * After a restart a terminal that is idle again but whose last command carries this sequence took our start (a short
 * tone may have ended meanwhile): it is not started a second time.
 */
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

export class DeliveryStartSequence1795405000000 implements MigrationInterface {
  name = 'DeliveryStartSequence1795405000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('deliveries', new TableColumn({ name: 'startSequence', type: 'integer', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('deliveries', 'startSequence');
  }
}
