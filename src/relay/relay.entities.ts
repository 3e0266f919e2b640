/**
 * Daily programme relay (日常广播, docs/relay.md): programmes, their schedules with the revision that plays, the
 * review history of each schedule, and the as-run log (播出记录). Times are UTC; recurrence times are Asia/Shanghai.
 */
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { AlertTargets } from '../alerts/alert.entities';
import type { Recurrence } from './recurrence';

export const SOURCE_KINDS = ['fm', 'line-in', 'ip', 'playlist'] as const;
export type ProgrammeSourceKind = (typeof SOURCE_KINDS)[number];

/** Where a programme's sound comes from; the parameter is what the play command carries (terminal-model.ts). */
export interface ProgrammeSource {
  kind: ProgrammeSourceKind;
  /** fm: frequency in units of 10 kHz (8750 = 87.5 MHz … 10800 = 108.0 MHz). */
  frequency?: number;
  /** line-in: the terminal's input channel. */
  channel?: number;
  /** ip: the stream index. */
  stream?: number;
  /** playlist: library clips played in order. */
  clipIds?: string[];
  /**
   * playlist of two or more clips: the library clip composed of them in order (set by the server when the programme is
   * saved, never by a client); this is what the terminals store and play, looped to the slot's end.
   */
  composedClipId?: string;
}

export const PRIORITY_CLASSES = ['county', 'town', 'village'] as const;
export type PriorityClass = (typeof PRIORITY_CLASSES)[number];

@Entity('relay_programmes')
export class ProgrammeEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'simple-json' })
  source!: ProgrammeSource;

  /** Used when the watch finds the main source weak or dead (a later step of the relay). */
  @Column({ type: 'simple-json', nullable: true })
  fallback!: ProgrammeSource | null;

  /** Signal quality (0–100) below which the watch raises an alarm and falls back. */
  @Column({ type: 'integer', nullable: true })
  minSignalQuality!: number | null;

  @Column({ type: 'integer' })
  volume!: number;

  @Column({ type: 'varchar', length: 8 })
  priorityClass!: PriorityClass;

  /** priorityOf({kind: 'daily', level: priorityClass}). */
  @Column({ type: 'integer' })
  priority!: number;

  @Column({ type: 'simple-json' })
  targets!: AlertTargets;

  /** Target areas and the areas of single target terminals, `|`-joined with leading and trailing `|`. */
  @Column({ type: 'text' })
  areaIndex!: string;

  @Column({ type: 'integer' })
  createdById!: number;

  @Column({ type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

export const SCHEDULE_STATES = ['draft', 'submitted', 'published', 'withdrawn'] as const;
export type ScheduleState = (typeof SCHEDULE_STATES)[number];

/** What plays once a revision is published: the recurrence and the programme as reviewed. */
export interface PublishedRevision {
  revision: number;
  recurrence: Recurrence;
  programme: Pick<
    ProgrammeEntity,
    'name' | 'source' | 'fallback' | 'minSignalQuality' | 'volume' | 'priorityClass' | 'priority' | 'targets'
  >;
  areaIndex: string;
}

/**
 * A schedule of a programme. `state` is that of its working revision (`recurrence`, `revision`); `published` is the
 * revision on air, kept unchanged while a newer revision is drafted and reviewed.
 */
@Entity('relay_schedules')
@Index('IDX_relay_schedules_programme', ['programmeId'])
@Index('IDX_relay_schedules_on_air', ['onAir'])
export class RelayScheduleEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer' })
  programmeId!: number;

  @Column({ type: 'varchar', length: 12 })
  state!: ScheduleState;

  /** The working revision number (1, 2, …). */
  @Column({ type: 'integer' })
  revision!: number;

  @Column({ type: 'simple-json' })
  recurrence!: Recurrence;

  @Column({ type: 'integer' })
  createdById!: number;

  @Column({ type: 'integer', nullable: true })
  submittedById!: number | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  submittedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  rejectionReason!: string | null;

  /** True while a published revision plays (for the day view's query). */
  @Column({ type: 'boolean', width: 1 })
  onAir!: boolean;

  @Column({ type: 'simple-json', nullable: true })
  published!: PublishedRevision | null;

  @Column({ type: 'integer', nullable: true })
  publishedById!: number | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  publishedAt!: Date | null;

  /** When the schedule first went on air: the tie-break between equal priorities (an edit keeps it). */
  @Column({ type: 'datetime', precision: 3, nullable: true })
  firstPublishedAt!: Date | null;

  @Column({ type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

export const SCHEDULE_ACTIONS = ['created', 'edited', 'submitted', 'rejected', 'approved', 'withdrawn'] as const;
export type ScheduleAction = (typeof SCHEDULE_ACTIONS)[number];

/** One step of a schedule's review history. */
@Entity('relay_schedule_revisions')
@Index('IDX_relay_schedule_revisions_schedule', ['scheduleId', 'id'])
export class ScheduleRevisionEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer' })
  scheduleId!: number;

  @Column({ type: 'integer' })
  revision!: number;

  @Column({ type: 'datetime', precision: 3 })
  at!: Date;

  @Column({ type: 'varchar', length: 16 })
  action!: ScheduleAction;

  @Column({ type: 'integer' })
  userId!: number;

  @Column({ type: 'varchar', length: 64 })
  userName!: string;

  @Column({ type: 'simple-json', nullable: true })
  changes!: Record<string, { from: unknown; to: unknown }> | null;
}

export interface Interruption {
  cause: string;
  from: string;
  to: string | null;
}

/** 播出记录: one terminal's one slot, planned against what happened. */
@Entity('relay_as_run')
@Index('UQ_relay_as_run_slot', ['terminalId', 'scheduleId', 'plannedStart'], { unique: true })
@Index('IDX_relay_as_run_day', ['day', 'areaCode'])
export class AsRunEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer' })
  terminalId!: number;

  @Column({ type: 'varchar', length: 15 })
  areaCode!: string;

  @Column({ type: 'integer' })
  scheduleId!: number;

  @Column({ type: 'integer' })
  programmeId!: number;

  @Column({ type: 'varchar', length: 200 })
  programmeName!: string;

  @Column({ type: 'integer' })
  revision!: number;

  /** Asia/Shanghai calendar day of the planned start, yyyy-mm-dd. */
  @Column({ type: 'varchar', length: 10 })
  day!: string;

  @Column({ type: 'datetime', precision: 3 })
  plannedStart!: Date;

  @Column({ type: 'datetime', precision: 3 })
  plannedEnd!: Date;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  actualStart!: Date | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  actualEnd!: Date | null;

  /** The source it played: fm, line-in, ip, playlist (the fallback's when it fell back). */
  @Column({ type: 'varchar', length: 12, nullable: true })
  source!: string | null;

  @Column({ type: 'simple-json' })
  interruptions!: Interruption[];

  /** The terminal played (some of) it from its held schedule, without the controller (断网续播); null = no. */
  @Column({ type: 'boolean', width: 1, nullable: true })
  heldPlay!: boolean | null;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
