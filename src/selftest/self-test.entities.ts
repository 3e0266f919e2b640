/** The periodic tests' rows (docs/self-test.md): one per test of one terminal, and each county's audible-test plan. */
import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { SelfTestChecks, SelfTestOutcome } from './self-test-outcome';

export const SELF_TEST_KINDS = ['silent', 'audible'] as const;
export type SelfTestKind = (typeof SELF_TEST_KINDS)[number];
export type SelfTestOrigin = 'schedule' | 'manual';

@Entity('self_tests')
@Index('IDX_self_tests_terminal', ['terminalId', 'startedAt'])
@Index('IDX_self_tests_day', ['dueDay', 'kind'])
export class SelfTestEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer' })
  terminalId!: number;

  /** The terminal's area when tested (reports and scopes). */
  @Column({ type: 'varchar', length: 15 })
  areaCode!: string;

  @Column({ type: 'integer' })
  gatewayId!: number;

  @Column({ type: 'varchar', length: 8 })
  kind!: SelfTestKind;

  /** The nightly plan or the monthly audible test ('schedule'), or a technician ('manual'). */
  @Column({ type: 'varchar', length: 8 })
  origin!: SelfTestOrigin;

  /** The Asia/Shanghai day whose test this is (yyyy-mm-dd). */
  @Column({ type: 'varchar', length: 10 })
  dueDay!: string;

  /** The id the command carried (PROTOCOL.md §4.2 code 8), 0 for an audible test. */
  @Column({ type: 'integer' })
  testId!: number;

  @Column({ type: 'datetime', precision: 3 })
  startedAt!: Date;

  @Column({ type: 'datetime', precision: 3 })
  finishedAt!: Date;

  @Column({ type: 'varchar', length: 16 })
  outcome!: SelfTestOutcome;

  /** Each check's verdict and value (silent tests that ran), else null. */
  @Column({ type: 'simple-json', nullable: true })
  checks!: SelfTestChecks | null;

  /** Why it did not run or answer (the driver's message), else null. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  detail!: string | null;

  /** Who asked for it (manual), null for the schedule. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  requestedBy!: string | null;
}

/** A county's monthly audible test (off until an administrator turns it on). */
@Entity('audible_test_plans')
export class AudibleTestPlanEntity {
  /** The county's area code. */
  @PrimaryColumn({ type: 'varchar', length: 15 })
  areaCode!: string;

  @Column({ type: 'boolean', width: 1 })
  enabled!: boolean;

  /** 1–28. */
  @Column({ type: 'integer' })
  dayOfMonth!: number;

  /** HH:MM Asia/Shanghai. */
  @Column({ type: 'varchar', length: 5 })
  time!: string;

  @Column({ type: 'integer' })
  seconds!: number;

  @Column({ type: 'integer' })
  volume!: number;

  @Column({ type: 'varchar', length: 64 })
  updatedBy!: string;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
