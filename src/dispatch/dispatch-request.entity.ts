/**
 * A request for the holder of one bus of a cluster (docs/cluster.md, "Requests for the other holders"): start a
 * broadcast late on one terminal of the bus (the relay watch, on the planner's holder), or stop a broadcast on the
 * bus (a relay slot's end). The instance that asks writes it; the bus's holder acts on it at its next dispatch pass and
 * deletes it. Durable, so neither Redis nor the asker being alive is needed for it to be done.
 */
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export type DispatchRequestKind = 'start-late' | 'stop';

@Entity('dispatch_request')
@Index('IDX_dispatch_request_broadcast', ['broadcastId'])
export class DispatchRequestEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 16 })
  kind!: DispatchRequestKind;

  @Column({ type: 'varchar', length: 35 })
  broadcastId!: string;

  /** The bus whose holder is asked. */
  @Column({ type: 'integer' })
  gatewayId!: number;

  /** The terminal to start late; null for a stop (the whole bus). */
  @Column({ type: 'integer', nullable: true })
  terminalId!: number | null;

  /** The instance that asked (DALABA_INSTANCE_ID), for the log. */
  @Column({ type: 'varchar', length: 64 })
  requestedBy!: string;

  @Column({ type: 'datetime', precision: 3 })
  requestedAt!: Date;
}
