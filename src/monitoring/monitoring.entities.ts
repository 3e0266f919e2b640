/**
 * What monitoring keeps in the database: the last known status of every terminal (so a restart still knows when a
 * terminal was last seen), the change history (kept DALABA_STATUS_HISTORY_DAYS days), the online rate of every region
 * by day, and alarms. The live path never reads these: current status is in memory (status-store.ts).
 */
import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { AlarmKind } from './alarm-causes';
import type { Connectivity } from './connectivity';
import type { BusConnection } from './monitoring.service';
import type { TerminalReading } from './terminal-reading';

export const CONNECTIVITIES: Connectivity[] = ['unknown', 'online', 'suspect', 'offline'];
export const ALARM_KINDS: AlarmKind[] = [
  'terminal-offline',
  'bus-down',
  'town-uplink',
  'fault',
  'relay-silent',
  'relay-source',
  'relay-signal',
  'self-test',
  'held-table',
];
export const ALARM_STATES = ['active', 'cleared'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];

@Entity('terminal_status')
export class TerminalStatusEntity {
  @PrimaryColumn({ type: 'integer' })
  terminalId!: number;

  @Column({ type: 'varchar', length: 15 })
  areaCode!: string;

  @Column({ type: 'integer' })
  gatewayId!: number;

  @Column({ type: 'varchar', length: 8 })
  connectivity!: Connectivity;

  @Column({ type: 'boolean', width: 1 })
  online!: boolean;

  @Column({ type: 'datetime', precision: 3 })
  since!: Date;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  lastSeen!: Date | null;

  @Column({ type: 'integer' })
  failures!: number;

  @Column({ type: 'varchar', length: 32, nullable: true })
  lastError!: string | null;

  @Column({ type: 'simple-json' })
  errorCounts!: Record<string, number>;

  @Column({ type: 'simple-json', nullable: true })
  reading!: TerminalReading | null;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

@Entity('terminal_status_history')
@Index('IDX_status_history_terminal_at', ['terminalId', 'at'])
@Index('IDX_status_history_at', ['at'])
export class TerminalStatusHistoryEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer' })
  terminalId!: number;

  @Column({ type: 'varchar', length: 15 })
  areaCode!: string;

  @Column({ type: 'datetime', precision: 3 })
  at!: Date;

  @Column({ type: 'varchar', length: 8 })
  previous!: Connectivity;

  @Column({ type: 'varchar', length: 8 })
  connectivity!: Connectivity;

  /** What changed: 'connectivity', 'reading', or reading fields such as 'state', 'faults'. */
  @Column({ type: 'simple-json' })
  fields!: string[];

  @Column({ type: 'varchar', length: 32, nullable: true })
  lastError!: string | null;

  /** The reading after the change (null when the terminal has not been read). */
  @Column({ type: 'simple-json', nullable: true })
  reading!: TerminalReading | null;
}

/**
 * In a cluster, each bus as its holder last published it (src/monitoring/bus-summary.ts, docs/cluster.md "Monitoring
 * across instances"): read by the other instances for the county's online rates, snapshots and town uplinks.
 */
@Entity('bus_status')
@Index('IDX_bus_status_holder_written', ['holder', 'writtenAt'])
export class BusStatusEntity {
  @PrimaryColumn({ type: 'integer' })
  gatewayId!: number;

  @Column({ type: 'varchar', length: 15 })
  areaCode!: string;

  /** The instance that wrote it, holding the bus's lease at `epoch`. */
  @Column({ type: 'varchar', length: 64 })
  holder!: string;

  @Column({ type: 'integer' })
  epoch!: number;

  @Column({ type: 'varchar', length: 12 })
  connection!: BusConnection;

  @Column({ type: 'datetime', precision: 3 })
  since!: Date;

  @Column({ type: 'varchar', length: 255, nullable: true })
  detail!: string | null;

  /** [terminalId, connectivity] of each of its terminals. */
  @Column({ type: 'simple-json' })
  terminals!: [number, Connectivity][];

  /** Per area code: [registered, online, unknown]. */
  @Column({ type: 'simple-json' })
  areas!: Record<string, [number, number, number]>;

  /** When the holder wrote it, on its clock; grows with each of the holder's writes. */
  @Column({ type: 'datetime', precision: 3 })
  writtenAt!: Date;
}

/** One region's online rate over one day (Asia/Shanghai), from samples taken through the day. */
@Entity('online_rate_daily')
@Index('UQ_online_rate_daily_area_day', ['areaCode', 'day'], { unique: true })
export class OnlineRateDailyEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 15 })
  areaCode!: string;

  /** YYYY-MM-DD in China Standard Time. */
  @Column({ type: 'varchar', length: 10 })
  day!: string;

  @Column({ type: 'integer' })
  samples!: number;

  /** Sums over the samples: the day's rate is onlineSum / registeredSum. */
  @Column({ type: 'integer' })
  onlineSum!: number;

  @Column({ type: 'integer' })
  registeredSum!: number;

  @Column({ type: 'double' })
  minPercent!: number;

  @Column({ type: 'double' })
  maxPercent!: number;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

@Entity('alarms')
@Index('IDX_alarms_state', ['state'])
@Index('IDX_alarms_key', ['alarmKey'])
@Index('IDX_alarms_area', ['areaCode'])
export class AlarmEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  /** Stable identity of the cause, e.g. `bus-down:gateway:12`. */
  @Column({ type: 'varchar', length: 128 })
  alarmKey!: string;

  @Column({ type: 'varchar', length: 16 })
  kind!: AlarmKind;

  @Column({ type: 'varchar', length: 8 })
  state!: AlarmState;

  @Column({ type: 'varchar', length: 15 })
  areaCode!: string;

  @Column({ type: 'integer', nullable: true })
  gatewayId!: number | null;

  @Column({ type: 'integer', nullable: true })
  terminalId!: number | null;

  @Column({ type: 'varchar', length: 32, nullable: true })
  fault!: string | null;

  /** Terminals silenced by the cause. */
  @Column({ type: 'simple-json' })
  terminalIds!: number[];

  @Column({ type: 'datetime', precision: 3 })
  raisedAt!: Date;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  clearedAt!: Date | null;

  @Column({ type: 'integer' })
  flaps!: number;

  @Column({ type: 'varchar', length: 64, nullable: true })
  acknowledgedBy!: string | null;

  @Column({ type: 'datetime', precision: 3, nullable: true })
  acknowledgedAt!: Date | null;

  @Column({ type: 'datetime', precision: 3 })
  lastRemindedAt!: Date;

  @Column({ type: 'integer' })
  reminders!: number;
}
