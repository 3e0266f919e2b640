/** A held schedule written to a terminal (docs/relay.md, "Held schedules"): what each entry of its table stands for. */
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Entry i of the table: the published slot (and the part of it the terminal plays) it was made from. */
export interface HeldEntryRef {
  scheduleId: number;
  plannedStart: string;
  plannedEnd: string;
  /** fm, line-in, ip: the programme's source kind. */
  source: string;
}

@Entity('relay_held_tables')
@Index('IDX_relay_held_tables_terminal', ['terminalId', 'tableId'])
export class HeldTableEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'integer' })
  terminalId!: number;

  /** PROTOCOL.md §9.3 table id (the play log names it). */
  @Column({ type: 'integer' })
  tableId!: number;

  /** SM3 of the table bytes, 64 hex digits. */
  @Column({ type: 'varchar', length: 64 })
  digest!: string;

  @Column({ type: 'simple-json' })
  entries!: HeldEntryRef[];

  @Column({ type: 'datetime', precision: 3 })
  validUntil!: Date;

  /** When the terminal reported it active with this digest. */
  @Column({ type: 'datetime', precision: 3 })
  verifiedAt!: Date;
}
