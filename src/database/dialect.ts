/** Which kind of database a TypeORM DataSource talks to (its type is chosen in src/database/data-source-options.ts). */
import type { DataSource } from 'typeorm';

/** MySQL or MariaDB (TypeORM type `mysql` or `mariadb`), as opposed to the embedded SQLite (`better-sqlite3`). */
export function isMySqlFamily(dataSource: Pick<DataSource, 'options'>): boolean {
  const type = dataSource.options.type;
  return type === 'mysql' || type === 'mariadb';
}
