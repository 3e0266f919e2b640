import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from './auth-user';

/** A login account: roles and area scopes (subtrees by area code); disabled accounts cannot log in or use tokens. */
@Entity('users')
export class UserEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 64, unique: true })
  username!: string;

  @Column({ type: 'varchar', length: 255 })
  passwordHash!: string;

  @Column({ type: 'simple-json' })
  roles!: Role[];

  @Column({ type: 'simple-json' })
  scopes!: string[];

  @Column({ type: 'boolean', default: false })
  disabled!: boolean;

  /** Set by the repository (no database default: the same migration runs on SQLite and MySQL). */
  @Column({ type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
