/**
 * Every migration in order. Migrations are portable between MySQL/MariaDB and SQLite (TypeORM's Table API, `integer`
 * auto-increment keys, `datetime` precision 3), reviewed, reversible, and never edited after landing.
 * Add a line when you add a migration.
 *
 * Portability points the drift test (test/foundation/schema-drift.test.ts) enforces on SQLite and MariaDB:
 * - unique constraints as named indices (`@Index('UQ_x', [...], { unique: true })` + `TableIndex({ isUnique: true })`),
 *   not `unique: true` on a column (the two databases name and report those differently);
 * - booleans as `{ type: 'boolean', width: 1 }` in the entity, `type: 'boolean'` in the migration, no database default;
 * - no database defaults for times (set them in code), `datetime` precision 3, `simple-enum`, `simple-json` (text).
 */
import type { MigrationInterface } from 'typeorm';
import { Audio1763800200000 } from './1763800200000-audio';
import { AccountsAndAudit1763856000000 } from './1763856000000-accounts-and-audit';
import { Registry1795394166227 } from './1795394166227-registry';
import { Monitoring1795402000000 } from './1795402000000-monitoring';
import { Alerts1795403000000 } from './1795403000000-alerts';
import { Dispatch1795404000000 } from './1795404000000-dispatch';
import { DeliveryStartSequence1795405000000 } from './1795405000000-delivery-start-sequence';
import { AccessControl1796018000000 } from './1796018000000-access-control';
import { Upstream1796022000000 } from './1796022000000-upstream';
import { Relay1796200000000 } from './1796200000000-relay';
import { RelayPlanner1796300000000 } from './1796300000000-relay-planner';
import { SelfTest1796500000000 } from './1796500000000-self-test';
import { RelayHeld1796400000000 } from './1796400000000-relay-held';
import { Cluster1796700000000 } from './1796700000000-cluster';
import { ClusterSequence1796800000000 } from './1796800000000-cluster-sequence';
import { ClipBlobs1796900000000 } from './1796900000000-clip-blobs';
import { AuditAppendLock1797000000000 } from './1797000000000-audit-append-lock';
import { RegistryJournal1797100000000 } from './1797100000000-registry-journal';
import { DeliveryStartFloor1797200000000 } from './1797200000000-delivery-start-floor';
import { ClipProcessingBy1797300000000 } from './1797300000000-clip-processing-by';
import { BusStatus1797400000000 } from './1797400000000-bus-status';
import { DispatchRequest1797500000000 } from './1797500000000-dispatch-request';

export const MIGRATIONS: (new () => MigrationInterface)[] = [
  AccountsAndAudit1763856000000,
  Audio1763800200000,
  Registry1795394166227,
  Monitoring1795402000000,
  Alerts1795403000000,
  Dispatch1795404000000,
  DeliveryStartSequence1795405000000,
  AccessControl1796018000000,
  Upstream1796022000000,
  Relay1796200000000,
  RelayPlanner1796300000000,
  SelfTest1796500000000,
  RelayHeld1796400000000,
  Cluster1796700000000,
  ClusterSequence1796800000000,
  ClipBlobs1796900000000,
  AuditAppendLock1797000000000,
  RegistryJournal1797100000000,
  DeliveryStartFloor1797200000000,
  ClipProcessingBy1797300000000,
  BusStatus1797400000000,
  DispatchRequest1797500000000,
];
