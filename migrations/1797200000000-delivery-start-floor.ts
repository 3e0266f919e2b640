/**
 * A delivery's start floor (src/dispatch/run/bus-start.ts): a command sequence number every start sent after the start
 * was recorded as sent is greater than. A server that continues the delivery after a crash or a takeover, finding the
 * terminal idle with a last accepted sequence above it and not above its own numbers, knows the terminal took a start
 * the earlier holder sent — even when that start's own sequence was never recorded — and does not start it again.
 */
import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

export class DeliveryStartFloor1797200000000 implements MigrationInterface {
  name = 'DeliveryStartFloor1797200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('deliveries', new TableColumn({ name: 'startFloor', type: 'bigint', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('deliveries', 'startFloor');
  }
}
