/**
 * An alert as composed, reviewed and sent (docs/architecture.md, "The flow of an alert"), and the per-day counter behind its broadcast id (EBMID).
 * Times are UTC. Targets and audio are kept as written by the officer; `clipId` is the one library clip that goes on air.
 */
import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { MessageTypeKey } from '../../firmware-protocols/codes';
import type { AlertState } from './alert-lifecycle';

export const AUDIO_KINDS = ['clip', 'tts', 'tone'] as const;
export type AudioKind = (typeof AUDIO_KINDS)[number];

export interface AlertTargets {
  /** Areas (county, towns, villages, groups): every enabled terminal inside them. */
  areaCodes: string[];
  /** Single terminals by registry id. */
  terminalIds: number[];
}

export interface AlertAudio {
  kind: AudioKind;
  /** kind clip: a library clip (an upload). */
  clipId?: string;
  /** kind tone: a built-in tone id (`tone-air-raid`). */
  toneId?: string;
  /** A tone played before the message. */
  toneBefore?: string;
}

@Entity('alerts')
@Index('UQ_alerts_broadcast_id', ['broadcastId'], { unique: true })
@Index('IDX_alerts_state', ['state'])
@Index('IDX_alerts_created_at', ['createdAt'])
export class AlertEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** The 35-digit EBMID, assigned when the alert goes on air. */
  @Column({ type: 'varchar', length: 35, nullable: true })
  broadcastId!: string | null;

  @Column({ type: 'varchar', length: 24 })
  state!: AlertState;

  @Column({ type: 'varchar', length: 5 })
  eventType!: string;

  /** 1–4 (Ⅰ–Ⅳ). */
  @Column({ type: 'integer' })
  severity!: number;

  @Column({ type: 'varchar', length: 16 })
  messageType!: MessageTypeKey;

  @Column({ type: 'varchar', length: 200 })
  title!: string;

  @Column({ type: 'text' })
  text!: string;

  @Column({ type: 'varchar', length: 16 })
  language!: string;

  @Column({ type: 'simple-json' })
  targets!: AlertTargets;

  /** Area codes of the targets plus those of the targeted terminals, `|`-joined with a leading and trailing `|`, for filtering. */
  @Column({ type: 'text' })
  areaIndex!: string;

  @Column({ type: 'simple-json' })
  audio!: AlertAudio;

  /** The library clip that goes on air (the upload, the synthesised text, or the tone). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  clipId!: string | null;

  @Column({ type: 'integer' })
  repeat!: number;

  @Column({ type: 'integer' })
  volume!: number;

  /** null: as soon as it is approved. */
  @Column({ type: 'datetime', precision: 3, nullable: true })
  startAt!: Date | null;

  @Column({ type: 'datetime', precision: 3 })
  endAt!: Date;

  /** Terminals the broadcast was planned for (set when it goes on air). */
  @Column({ type: 'integer', nullable: true })
  terminalCount!: number | null;

  @Column({ type: 'integer' })
  createdById!: number;

  @Column({ type: 'varchar', length: 64 })
  createdByName!: string;

  @Column({ type: 'integer', nullable: true })
  submittedById!: number | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  submittedAt!: Date | null;

  @Column({ type: 'integer', nullable: true })
  approvedById!: number | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  approvedAt!: Date | null;

  @Column({ type: 'integer', nullable: true })
  rejectedById!: number | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  rejectedAt!: Date | null;

  @Column({ type: 'text', nullable: true })
  rejectionReason!: string | null;

  /** The one-key emergency path: why it skipped the review. */
  @Column({ type: 'text', nullable: true })
  emergencyReason!: string | null;

  @Column({ type: 'integer', nullable: true })
  confirmedById!: number | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  confirmedAt!: Date | null;

  @Column({ type: 'boolean', width: 1 })
  cancelRequested!: boolean;

  @Column({ type: 'integer', nullable: true })
  cancelledById!: number | null;

  /** The last outcome detail reported by dispatch (or why it expired). */
  @Column({ type: 'text', nullable: true })
  outcomeDetail!: string | null;

  @Column({ type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;

  /** Where it came from: null typed in here; `ebd` an upstream platform's EBM, `cap` a CAP 1.2 message (src/upstream). */
  @Column({ type: 'varchar', length: 8, nullable: true })
  source!: 'ebd' | 'cap' | null;

  /** The upstream's id of it: the EBMID (becomes the broadcast id when it goes on air) or the CAP identifier. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  upstreamId!: string | null;
}

/** The last daily sequence number used in broadcast ids of one sender on one day (Asia/Shanghai date). */
@Entity('broadcast_id_sequences')
export class BroadcastIdSequenceEntity {
  @PrimaryColumn({ type: 'varchar', length: 23 })
  sender!: string;

  /** yyyyMMdd */
  @PrimaryColumn({ type: 'varchar', length: 8 })
  day!: string;

  @Column({ type: 'integer' })
  last!: number;
}

/** What happened to an alert, in the words of its revision history. */
export const REVISION_ACTIONS = [
  'created',
  'edited',
  'submitted',
  'rejected',
  'approved',
  'emergency',
  'confirmed',
  'cancelled',
] as const;
export type RevisionAction = (typeof REVISION_ACTIONS)[number];

/** A changed field of an edit: its value before and after (dates as ISO text). */
export type FieldChanges = Record<string, { from: unknown; to: unknown }>;

/** One step of an alert's revision history: who did what when; an edit lists the fields it changed. */
@Entity('alert_revisions')
@Index('IDX_alert_revisions_alert', ['alertId', 'id'])
export class AlertRevisionEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer' })
  alertId!: number;

  @Column({ type: 'datetime', precision: 3 })
  at!: Date;

  @Column({ type: 'varchar', length: 16 })
  action!: RevisionAction;

  @Column({ type: 'integer' })
  userId!: number;

  @Column({ type: 'varchar', length: 64 })
  userName!: string;

  @Column({ type: 'simple-json', nullable: true })
  changes!: FieldChanges | null;
}
