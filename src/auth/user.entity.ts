import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from './auth-user';

/** A login account: roles and area scopes (subtrees by area code); disabled accounts cannot log in or use tokens. */
@Entity('users')
@Index('UQ_users_username', ['username'], { unique: true })
export class UserEntity {
  @PrimaryGeneratedColumn({ type: 'integer' })
  id!: number;

  @Column({ type: 'varchar', length: 64 })
  username!: string;

  @Column({ type: 'varchar', length: 255 })
  passwordHash!: string;

  @Column({ type: 'simple-json' })
  roles!: Role[];

  @Column({ type: 'simple-json' })
  scopes!: string[];

  /** width 1: MariaDB reports boolean columns as tinyint(1); without it the drift test sees a change. */
  @Column({ type: 'boolean', width: 1 })
  disabled!: boolean;

  /**
   * Raised whenever the account's sessions must end (disabled, re-enabled, narrowed, password reset): a token carries
   * the version it was issued under and is refused once the account has moved past it.
   */
  @Column({ type: 'integer', default: 0 })
  tokenVersion!: number;

  /** Set by the repository (no database default: the same migration runs on SQLite and MySQL). */
  @Column({ type: 'datetime', precision: 3 })
  createdAt!: Date;

  @Column({ type: 'datetime', precision: 3 })
  updatedAt!: Date;
}
