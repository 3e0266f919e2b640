/**
 * Every migration in order. Migrations are portable between MySQL/MariaDB and SQLite (TypeORM's Table API, `integer`
 * auto-increment keys, `datetime` precision 3), reviewed, reversible, and never edited after landing.
 * Add a line when you add a migration.
 */
import type { MigrationInterface } from 'typeorm';
import { AccountsAndAudit1763856000000 } from './1763856000000-accounts-and-audit';

export const MIGRATIONS: (new () => MigrationInterface)[] = [
  AccountsAndAudit1763856000000,
];
