/**
 * What dispatch keeps: one broadcast per DispatchOrder (keyed by its EBMID) and one delivery per targeted terminal.
 * The rows are written before anything is sent (plan), and every state change of a delivery is recorded, so that a
 * restarted server continues from them (docs/architecture.md, "The flow of an alert").
 */
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { MessageTypeKey } from '../../firmware-protocols/codes';
import type { BroadcastState } from './broadcast-lifecycle';
import type { DeliveryState } from './delivery-lifecycle';

/** The live sources a broadcast may play instead of a stored clip (a daily relay). */
export type LiveSource = 'fm' | 'line-in' | 'ip';

@Entity('broadcasts')
@Index('UQ_broadcasts_broadcast_id', ['broadcastId'], { unique: true })
@Index('IDX_broadcasts_alert', ['alertId'])
@Index('IDX_broadcasts_state', ['state'])
export class BroadcastEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** The 35-digit EBMID. */
  @Column({ type: 'varchar', length: 35 })
  broadcastId!: string;

  @Column({ type: 'integer' })
  alertId!: number;

  @Column({ type: 'varchar', length: 128 })
  title!: string;

  @Column({ type: 'varchar', length: 8 })
  eventType!: string;

  @Column({ type: 'integer' })
  severity!: number;

  @Column({ type: 'varchar', length: 16 })
  messageType!: MessageTypeKey;

  @Column({ type: 'integer' })
  broadcastClass!: number;

  @Column({ type: 'integer' })
  priority!: number;

  /** The audio-library clip id. */
  @Column({ type: 'varchar', length: 64 })
  clipId!: string;

  /**
   * What the play command selects: null for the stored clip (`clipId`); a relay's live source (fm, line-in, ip) with
   * its parameter (FM in 10 kHz, line-in channel, IP stream index) otherwise — then nothing is transferred.
   */
  @Column({ type: 'varchar', length: 8, nullable: true })
  source!: LiveSource | null;

  @Column({ type: 'integer', nullable: true })
  sourceParam!: number | null;

  @Column({ type: 'integer' })
  repeat!: number;

  @Column({ type: 'integer' })
  volume!: number;

  @Column({ type: 'datetime', precision: 3 })
  startAt!: Date;

  @Column({ type: 'datetime', precision: 3 })
  endAt!: Date;

  @Column({ type: 'boolean', width: 1 })
  emergency!: boolean;

  @Column({ type: 'boolean', width: 1 })
  drill!: boolean;

  @Column({ type: 'integer' })
  userId!: number;

  @Column({ type: 'varchar', length: 16 })
  state!: BroadcastState;

  @Column({ type: 'integer' })
  targeted!: number;

  @Column({ type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  startedAt!: Date | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  finishedAt!: Date | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  cancelRequestedAt!: Date | null;

  @Column({ type: 'integer', nullable: true })
  cancelledBy!: number | null;
}

@Entity('deliveries')
@Index('UQ_deliveries_broadcast_terminal', ['broadcastId', 'terminalId'], { unique: true })
@Index('IDX_deliveries_broadcast_state', ['broadcastId', 'state'])
@Index('IDX_deliveries_terminal', ['terminalId'])
export class DeliveryEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 35 })
  broadcastId!: string;

  @Column({ type: 'integer' })
  terminalId!: number;

  /** Where the terminal sat when the broadcast was planned; null when it could not be located. */
  @Column({ type: 'integer', nullable: true })
  gatewayId!: number | null;

  @Column({ type: 'integer', nullable: true })
  unit!: number | null;

  @Column({ type: 'varchar', length: 15 })
  areaCode!: string;

  @Column({ type: 'varchar', length: 64 })
  terminalName!: string;

  @Column({ type: 'varchar', length: 16 })
  state!: DeliveryState;

  @Column({ type: 'varchar', length: 255, nullable: true })
  reason!: string | null;

  @Column({ type: 'integer' })
  attempts!: number;

  /** The clip id on the terminal (the variant it decodes), once known. */
  @Column({ type: 'integer', nullable: true })
  terminalClipId!: number | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  startSentAt!: Date | null;

  /** The sequence number of the last signed start sent to the terminal for this delivery (bus-wide or its own). */
  @Column({ type: 'integer', nullable: true })
  startSequence!: number | null;

  /** A sequence every start sent after `startSentAt` was recorded is above (migration 1797200000000). */
  @Column({
    type: 'bigint',
    nullable: true,
    transformer: { to: (v: number | null) => v, from: (v: string | number | null) => (v === null ? null : Number(v)) },
  })
  startFloor!: number | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  verifiedAt!: Date | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  finishedAt!: Date | null;

  /** What the start interrupted on the terminal, if anything (from the status read before it). */
  @Column({ type: 'varchar', length: 35, nullable: true })
  preemptedBroadcastId!: string | null;

  @Column({ type: 'integer', nullable: true })
  preemptedPriority!: number | null;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
