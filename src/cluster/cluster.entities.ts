/**
 * The cluster's tables (docs/cluster.md): the instances that share the database, each with its last heartbeat,
 * and one lease per resource (a bus `bus:<gatewayId>` or a singleton `singleton:<name>`) with its owner, its fencing
 * epoch (only grows: +1 at every acquisition) and its expiry; and the command sequence they share. Rows are written by
 * LeaseStore's and SequenceStore's conditional statements only; the entities exist for the schema (and the drift test).
 */
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** bigint comes back as a string from MariaDB; epochs stay far below 2^53. */
const bigintAsNumber = {
  to: (v: number | null): number | null => v,
  from: (v: string | number | null): number | null => (v === null ? null : Number(v)),
};

@Entity('cluster_instance')
export class ClusterInstanceEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id!: string;

  /** Where it runs (host name, process id), for operators. */
  @Column({ type: 'varchar', length: 200 })
  label!: string;

  @Column({ type: 'datetime', precision: 3 })
  startedAt!: Date;

  @Column({ type: 'datetime', precision: 3 })
  lastHeartbeat!: Date;
}

@Entity('cluster_lease')
export class ClusterLeaseEntity {
  @PrimaryColumn({ type: 'varchar', length: 100 })
  resourceKey!: string;

  /** The instance holding it; null once released. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  owner!: string | null;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  epoch!: number;

  @Column({ type: 'datetime', precision: 3 })
  expiresAt!: Date;
}

/** The command sequence shared by the instances (src/cluster/sequence-store.ts): one row, `name` 'command'. */
@Entity('cluster_sequence')
export class ClusterSequenceEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 })
  name!: string;

  /** The certificate every instance signs with: an instance with another one is refused. */
  @Column({ type: 'varchar', length: 32 })
  certificateSerial!: string;

  /** The end of the last block reserved by any instance; the next block starts after it. */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  reservedUpTo!: number;
}
