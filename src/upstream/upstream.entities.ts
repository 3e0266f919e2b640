/**
 * Upstream exchange rows: the senders we take alerts from (their certificates and review policy), every message
 * received as it was received (the inbox), the reports we owe them (the outbox, which survives restarts), and the
 * per-day counter behind our EBDIDs. Raw packets live in the packet store (packet-store.ts), named by SHA-256.
 */
import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

export const SENDER_KINDS = ['ebd', 'cap'] as const;
export type SenderKind = (typeof SENDER_KINDS)[number];

@Entity('upstream_senders')
@Index('UQ_upstream_senders_kind_code', ['kind', 'code'], { unique: true })
export class UpstreamSenderEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 8 })
  kind!: SenderKind;

  /** EBD: the sender's 23-digit EBRID; CAP: the <sender> of its messages. */
  @Column({ type: 'varchar', length: 200 })
  code!: string;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  /** EBD: the serial of its signing certificate (CertSN) and its SM2 public key (04‖x‖y, hex). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  certSn!: string | null;

  @Column({ type: 'varchar', length: 130, nullable: true })
  publicKey!: string | null;

  /** Where our reports go (EBD); null: no reports. */
  @Column({ type: 'varchar', length: 500, nullable: true })
  url!: string | null;

  /** Severities (0–4) that go on air at once as the sender's decision; the others wait for a local approver. */
  @Column({ type: 'simple-json' })
  dispatchSeverities!: number[];

  @Column({ type: 'boolean', width: 1 })
  enabled!: boolean;

  @Column({ type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

export const VERIFICATIONS = [
  'verified',
  'bad-signature',
  'unknown-sender',
  'malformed',
  'replayed',
  'out-of-scope',
  'schema-invalid',
  'valid',
] as const;
export type Verification = (typeof VERIFICATIONS)[number];

/** One message as received (inbox), with what checking it found and what became of it. */
@Entity('upstream_messages')
@Index('IDX_upstream_messages_kind_message', ['kind', 'messageId'])
@Index('IDX_upstream_messages_received', ['receivedAt'])
export class UpstreamMessageEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 8 })
  kind!: SenderKind;

  @Column({ type: 'datetime', precision: 3 })
  receivedAt!: Date;

  @Column({ type: 'varchar', length: 64, nullable: true })
  remoteAddress!: string | null;

  @Column({ type: 'integer', nullable: true })
  senderId!: number | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  senderCode!: string | null;

  /** EBDID or CAP identifier. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  messageId!: string | null;

  /** EBDType or CAP msgType. */
  @Column({ type: 'varchar', length: 32, nullable: true })
  messageType!: string | null;

  /** EBMID (or the CAP identifier) of the alert it carries. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  alertRef!: string | null;

  @Column({ type: 'varchar', length: 16 })
  verification!: Verification;

  @Column({ type: 'text', nullable: true })
  verificationDetail!: string | null;

  /** EBDResponse ResultCode we answered. */
  @Column({ type: 'integer', nullable: true })
  resultCode!: number | null;

  /** dispatched, held, cancelled, replaced, answered, ignored, refused, failed. */
  @Column({ type: 'varchar', length: 16 })
  disposition!: string;

  @Column({ type: 'text', nullable: true })
  dispositionDetail!: string | null;

  @Column({ type: 'integer', nullable: true })
  alertId!: number | null;

  @Column({ type: 'varchar', length: 200 })
  fileName!: string;

  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  @Column({ type: 'integer' })
  size!: number;
}

export const OUTBOX_STATES = ['pending', 'sent', 'failed'] as const;
export type OutboxState = (typeof OUTBOX_STATES)[number];

/** A signed report owed to a sender, tried until it is taken (backoff) or given up. */
@Entity('upstream_outbox')
@Index('IDX_upstream_outbox_due', ['state', 'nextAttemptAt'])
export class UpstreamOutboxEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer' })
  senderId!: number;

  @Column({ type: 'varchar', length: 500 })
  url!: string;

  @Column({ type: 'varchar', length: 64 })
  ebdId!: string;

  @Column({ type: 'varchar', length: 32 })
  ebdType!: string;

  /** The EBMID it reports on, if any. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  alertRef!: string | null;

  @Column({ type: 'varchar', length: 64 })
  sha256!: string;

  @Column({ type: 'varchar', length: 8 })
  state!: OutboxState;

  @Column({ type: 'integer' })
  attempts!: number;

  /** Attempts before it is given up (heartbeats few, state reports many). */
  @Column({ type: 'integer' })
  maxAttempts!: number;

  @Column({ type: 'datetime', precision: 3 })
  nextAttemptAt!: Date;

  @Column({ type: 'text', nullable: true })
  lastError!: string | null;

  /** The ResultCode of the sender's EBDResponse. */
  @Column({ type: 'integer', nullable: true })
  resultCode!: number | null;

  @Column({ type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  sentAt!: Date | null;
}

/** The last sequence number used in our EBDIDs on one day (Beijing date). */
@Entity('ebd_id_sequences')
export class EbdIdSequenceEntity {
  @PrimaryColumn({ type: 'varchar', length: 8 })
  day!: string;

  @Column({ type: 'integer' })
  last!: number;
}
