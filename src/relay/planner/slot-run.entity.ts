/** One planned slot of a published schedule and the broadcast that plays it (docs/relay.md, "Planner"). */
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export const SLOT_RUN_STATES = ['launched', 'ended', 'cancelled'] as const;
export type SlotRunState = (typeof SLOT_RUN_STATES)[number];

@Entity('relay_slot_runs')
@Index('UQ_relay_slot_runs_slot', ['scheduleId', 'plannedStart'], { unique: true })
@Index('IDX_relay_slot_runs_state', ['state'])
export class SlotRunEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer' })
  scheduleId!: number;

  /** The schedule's published revision the slot was planned from. */
  @Column({ type: 'integer' })
  revision!: number;

  @Column({ type: 'datetime', precision: 3 })
  plannedStart!: Date;

  /** The slot's end; moves earlier when a published edit shortens a slot that plays. */
  @Column({ type: 'datetime', precision: 3 })
  plannedEnd!: Date;

  /** The broadcast (class daily) that plays the slot on its terminals. */
  @Column({ type: 'varchar', length: 35 })
  broadcastId!: string;

  @Column({ type: 'varchar', length: 12 })
  state!: SlotRunState;

  @Column({ type: 'simple-json' })
  terminalIds!: number[];

  @Column({ type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
