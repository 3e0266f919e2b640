/**
 * Registry changes across the instances of a cluster (docs/cluster.md, "Registry changes across instances").
 * RegistryEvents is in-process: a gateway or terminal added, edited, disabled or removed through one instance reaches
 * that instance's field at once. With DALABA_CLUSTER=on every such change is also written to the journal in the shared
 * database (table registry_change: what changed, through which instance), and every instance reads the journal every
 * second: a change made through another instance is read back from the registry as it now stands and emitted here as
 * if it had been made here (a gateway or terminal no longer found is emitted as removed). So a bus key appears and the
 * buses are rebalanced, and a terminal added on a bus another instance holds is polled there, within about a second.
 * Journal rows older than an hour are deleted. Not clustered: nothing is written or read.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { DataSource } from 'typeorm';
import { Clock, type TimerHandle } from '../common/clock';
import { sqlTime } from '../cluster/lease-store';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { RegistryEvents, type RegistryChange } from './registry-events';
import { GatewayEntity, TerminalEntity } from './registry.entities';

/** How often the journal is read, ms. */
export const JOURNAL_READ_MS = 1000;
/** How long journal rows are kept, ms. */
const KEEP_MS = 3_600_000;

interface JournalRow {
  id: number | string;
  kind: 'gateway' | 'terminal';
  entityId: number | string;
  origin: string;
}

@Injectable()
export class RegistryJournal implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Registry');
  private readonly clustered: boolean;
  private readonly instanceId: string;
  /** Changes emitted here from the journal: not written back to it. */
  private readonly replayed = new WeakSet<RegistryChange>();
  private subscription: Subscription | null = null;
  private timer: TimerHandle | null = null;
  private lastId = 0;
  private reading: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly events: RegistryEvents,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.clustered = config.cluster.enabled;
    this.instanceId = config.cluster.instanceId;
  }

  async onApplicationBootstrap(): Promise<void> {
    if (!this.clustered) return;
    const [row] = await this.dataSource.query<{ last: number | string | null }[]>(
      'SELECT MAX(id) AS last FROM registry_change',
    );
    this.lastId = Number(row?.last ?? 0);
    this.subscription = this.events.changes.subscribe((c) => {
      if (!this.replayed.has(c)) void this.write(c);
    });
    this.schedule();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.subscription?.unsubscribe();
  }

  /** Reads the journal now (tests); resolves once what it found is emitted. */
  read(): Promise<void> {
    this.reading = this.reading
      .then(() => this.readOnce())
      .catch((e: unknown) => {
        if (!this.stopped) this.log.warn(`registry journal not read: ${(e as Error).message}`);
      });
    return this.reading;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      void this.read().finally(() => this.schedule());
    }, JOURNAL_READ_MS);
  }

  private async write(c: RegistryChange): Promise<void> {
    const entityId = c.change === 'removed' ? c.id : c.kind === 'gateway' ? c.gateway.id : c.terminal.id;
    try {
      await this.dataSource.query(
        'INSERT INTO registry_change (kind, entityId, origin, changedAt) VALUES (?, ?, ?, ?)',
        [c.kind, entityId, this.instanceId, sqlTime(this.clock.now())],
      );
    } catch (e) {
      this.log.warn(
        `${c.kind} ${entityId}: change not journaled, other instances see it at their next start: ${(e as Error).message}`,
      );
    }
  }

  private async readOnce(): Promise<void> {
    if (this.stopped) return;
    const rows = await this.dataSource.query<JournalRow[]>(
      'SELECT id, kind, entityId, origin FROM registry_change WHERE id > ? ORDER BY id LIMIT 500',
      [this.lastId],
    );
    if (rows.length === 0) return;
    this.lastId = Number(rows[rows.length - 1].id);
    // a burst (an import of 300 terminals) is one read of each entity, in the order of its last change
    const latest = new Map<string, JournalRow>();
    for (const r of rows.filter((x) => x.origin !== this.instanceId)) {
      const key = `${r.kind}:${r.entityId}`;
      latest.delete(key);
      latest.set(key, r);
    }
    const changes: RegistryChange[] = [];
    for (const r of latest.values()) changes.push(await this.current(r.kind, Number(r.entityId)));
    for (const c of changes) this.replayed.add(c);
    if (changes.length > 0) this.events.emit(changes);
    await this.dataSource.query('DELETE FROM registry_change WHERE changedAt < ?', [
      sqlTime(this.clock.now() - KEEP_MS),
    ]);
  }

  /** The change as the registry now stands. */
  private async current(kind: 'gateway' | 'terminal', id: number): Promise<RegistryChange> {
    if (kind === 'gateway') {
      const gateway = await this.dataSource.getRepository(GatewayEntity).findOneBy({ id });
      return gateway ? { kind, change: 'updated', gateway } : { kind, change: 'removed', id };
    }
    const terminal = await this.dataSource.getRepository(TerminalEntity).findOneBy({ id });
    return terminal ? { kind, change: 'updated', terminal } : { kind, change: 'removed', id };
  }
}
