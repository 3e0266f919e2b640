import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One row of the hash-chained audit log. `id` is assigned by the appender (previous id + 1) and `prevHash` is unique:
 * both make a fork of the chain impossible at the database level, on SQLite and MySQL/MariaDB alike.
 */
@Entity('audit_log')
@Index('IDX_audit_entity', ['entityType', 'entityId'])
@Index('IDX_audit_actor', ['actorName'])
@Index('IDX_audit_at', ['at'])
@Index('UQ_audit_prev_hash', ['prevHash'], { unique: true })
export class AuditEntryEntity {
  @PrimaryColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'datetime', precision: 3 })
  at!: Date;

  @Column({ type: 'integer', nullable: true })
  actorId!: number | null;

  @Column({ type: 'varchar', length: 64 })
  actorName!: string;

  @Column({ type: 'varchar', length: 64 })
  action!: string;

  @Column({ type: 'varchar', length: 64 })
  entityType!: string;

  @Column({ type: 'varchar', length: 64, nullable: true })
  entityId!: string | null;

  @Column({ type: 'text', nullable: true })
  before!: string | null;

  @Column({ type: 'text', nullable: true })
  after!: string | null;

  @Column({ type: 'varchar', length: 64 })
  prevHash!: string;

  @Column({ type: 'varchar', length: 64 })
  hash!: string;
}
