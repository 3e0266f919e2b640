import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { AreaLevel } from '../../firmware-protocols/codes';

/** A node of the region tree, keyed by its 12-digit area code (15 digits for a natural-village group). */
@Entity('areas')
@Index('UQ_areas_code', ['code'], { unique: true })
@Index('IDX_areas_parent', ['parentCode'])
export class AreaEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 15 })
  code!: string;

  @Column({ type: 'varchar', length: 64 })
  name!: string;

  @Column({ type: 'varchar', length: 16 })
  level!: AreaLevel;

  @Column({ type: 'varchar', length: 15, nullable: true })
  parentCode!: string | null;

  @Column({ type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
