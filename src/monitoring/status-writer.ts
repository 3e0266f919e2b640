/**
 * Writes what monitoring sees to the database without ever slowing the live path: every status change is queued in
 * memory and written in batches (each terminal's latest status upserted, every change appended to the history) once a
 * second or as soon as 500 changes wait. Every 5 minutes it adds a sample of every region's online rate to the day's
 * roll-up; every hour it deletes history older than DALABA_STATUS_HISTORY_DAYS. At start it hands monitoring what the
 * database remembers of each terminal (last seen, last reading, error counters).
 *
 * In a cluster (docs/cluster.md, "Status writes are fenced") each change is queued with the epoch of its terminal's bus
 * lease at that moment; a flush writes every bus's batch in one transaction that ends by fencing all those leases at
 * their epochs (`fenceAll`, the lease rows locked only from there to the commit): a batch of a bus this instance no
 * longer holds at that epoch (it was paused, or the bus moved meanwhile) is refused by the database and dropped,
 * counted in `refused` and logged, and the rest is written again without it. Each timed flush also publishes, under
 * the same fence, every bus held here whose view changed (`bus_status`: connection, terminals' connectivity, counts per
 * area; bus-summary.ts), which the other instances count in (shared-monitoring.ts); and the roll-up samples are taken
 * by one instance, over the cluster's rates (`singleton:rate-samples`). Not clustered, no fence, nothing published.
 */
import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleInit,
} from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { busKey, LeaseManager } from '../cluster/lease-manager';
import { fenceAll, StaleLeasesError } from '../cluster/lease-fence';
import { SingletonLease } from '../cluster/singleton-lease';
import { shanghaiDate } from '../../firmware-protocols/codes';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { type BusView, busViews } from './bus-summary';
import type { BusStatusEntity, TerminalStatusEntity, TerminalStatusHistoryEntity } from './monitoring.entities';
import { MonitoringService } from './monitoring.service';
import type { KnownStatus, LiveStatus, StatusChange } from './status-store';
import { StatusRepository } from './status.repository';
import { Clock } from '../common/clock';

export const FLUSH_EVERY_MS = 1_000;
export const FLUSH_AT_CHANGES = 500;
export const SAMPLE_EVERY_MS = 5 * 60_000;
const PRUNE_EVERY_MS = 60 * 60_000;
/** If the database stays unreachable, the oldest history beyond this many rows is dropped (and said so). */
const MAX_QUEUED_HISTORY = 200_000;

type HistoryRow = Omit<TerminalStatusHistoryEntity, 'id'>;
/** The bus lease a change was seen under (epoch 0 when not clustered). */
interface Under {
  gatewayId: number;
  epoch: number;
}
type Queued<T> = T & { under: Under };

function currentRow(status: LiveStatus, at: number): TerminalStatusEntity {
  return {
    terminalId: status.terminalId,
    areaCode: status.areaCode,
    gatewayId: status.gatewayId,
    connectivity: status.connectivity,
    online: status.online,
    since: new Date(status.since),
    lastSeen: status.lastSeen === null ? null : new Date(status.lastSeen),
    failures: status.failures,
    lastError: status.lastError,
    errorCounts: { ...status.errorCounts },
    reading: status.reading,
    updatedAt: new Date(at),
  };
}

/** "YYYY-MM-DD" of the day in China Standard Time. */
export function dayOf(at: Date): string {
  const date = shanghaiDate(at);
  return `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}`;
}

/** A bus view to publish, and what it is compared with next time (its epoch and content). */
type Publication = Queued<{ view: BusView; key: string }>;

interface Batch {
  under: Under | null;
  current: Queued<{ row: TerminalStatusEntity }>[];
  history: Queued<{ row: HistoryRow }>[];
  /** In a cluster: the bus as published with this flush, under this batch's lease. */
  bus?: Publication;
}

/** One batch per bus and epoch, in the order each first appears. */
function byLease(current: Batch['current'], history: Batch['history'], buses: Publication[] = []): Batch[] {
  const batches = new Map<string, Batch>();
  const of = (under: Under): Batch => {
    const id = `${under.gatewayId}@${under.epoch}`;
    let batch = batches.get(id);
    if (!batch) batches.set(id, (batch = { under, current: [], history: [] }));
    return batch;
  };
  for (const q of history) of(q.under).history.push(q);
  for (const q of current) of(q.under).current.push(q);
  for (const p of buses) of(p.under).bus = p;
  return [...batches.values()];
}

@Injectable()
export class StatusWriter implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly log = new Logger('StatusWriter');
  private current = new Map<number, Queued<{ row: TerminalStatusEntity }>>();
  private history: Queued<{ row: HistoryRow }>[] = [];
  private subscription: Subscription | null = null;
  private timers: NodeJS.Timeout[] = [];
  private flushing: Promise<void> = Promise.resolve();
  private flushQueued = false;
  private dropped = 0;
  private refusedChanges = 0;
  /** In a cluster: what was last published of each bus (epoch and view), so that only changes are written. */
  private readonly publishedBuses = new Map<number, string>();
  /** The time of the last publication: the next is later, whatever the clock does. */
  private lastPublishedAt = 0;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly monitoring: MonitoringService,
    private readonly repo: StatusRepository,
    private readonly clock: Clock,
    private readonly leases: LeaseManager,
  ) {}

  /** In a cluster: changes not written because their bus lease had moved (refused by the fence, or not held). */
  get refused(): number {
    return this.refusedChanges;
  }

  async onModuleInit(): Promise<void> {
    const rows = await this.repo.loadCurrent();
    const known = new Map<number, KnownStatus>();
    for (const r of rows) {
      known.set(r.terminalId, {
        lastSeen: r.lastSeen?.getTime() ?? null,
        lastError: r.lastError,
        errorCounts: r.errorCounts ?? {},
        reading: r.reading,
      });
    }
    this.monitoring.remember(known);
    this.subscription = this.monitoring.changes.subscribe((c) => this.record(c));
  }

  onApplicationBootstrap(): void {
    const every = (ms: number, work: () => Promise<unknown>): void => {
      const timer = setInterval(
        () =>
          void work().catch((e: unknown) => this.log.error(`${work.name || 'monitoring write'} failed: ${String(e)}`)),
        ms,
      );
      timer.unref();
      this.timers.push(timer);
    };
    every(FLUSH_EVERY_MS, () => this.flush());
    // in a cluster the rates are the cluster's (shared-monitoring.ts): one instance samples them
    const samples = this.leases.clustered ? new SingletonLease(this.leases, 'rate-samples') : null;
    every(SAMPLE_EVERY_MS, async () => {
      if (!samples || samples.holds()) await this.sampleOnlineRates(this.clock.date());
    });
    every(PRUNE_EVERY_MS, () => this.prune(this.clock.date()));
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.subscription?.unsubscribe();
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.flush();
  }

  /** Changes waiting to be written. */
  get pending(): number {
    return this.history.length;
  }

  private record(c: StatusChange): void {
    const row = currentRow(c.status, c.at);
    const epoch = this.leases.epochOf(busKey(row.gatewayId));
    if (epoch === null) {
      this.refusedChanges++; // seen on a bus this instance no longer holds: its holder records it
      return;
    }
    const under = { gatewayId: row.gatewayId, epoch };
    this.current.set(row.terminalId, { row, under });
    this.history.push({
      under,
      row: {
        terminalId: row.terminalId,
        areaCode: row.areaCode,
        at: new Date(c.at),
        previous: c.previous,
        connectivity: row.connectivity,
        fields: c.fields,
        lastError: row.lastError,
        reading: row.reading,
      },
    });
    if (this.history.length > MAX_QUEUED_HISTORY) {
      const excess = this.history.length - MAX_QUEUED_HISTORY;
      this.history.splice(0, excess);
      this.dropped += excess;
    }
    if (this.history.length >= FLUSH_AT_CHANGES && !this.flushQueued) {
      this.flushQueued = true;
      setImmediate(
        () => void this.flush(false).catch((e: unknown) => this.log.error(`status write failed: ${String(e)}`)),
      );
    }
  }

  /**
   * Writes everything queued so far (in a cluster, with the buses whose view changed, unless `publish` is false);
   * resolves when it is in the database. Writes never overlap.
   */
  flush(publish = true): Promise<void> {
    const next = this.flushing.then(() => this.writeQueued(publish));
    this.flushing = next.catch(() => undefined);
    return next;
  }

  /** The buses held here whose view changed since last published (none when not clustered). */
  private toPublish(): Publication[] {
    if (!this.leases.clustered) return [];
    const out: Publication[] = [];
    for (const view of busViews(this.monitoring.gatewayList(), this.monitoring.terminals()).values()) {
      const epoch = this.leases.epochOf(busKey(view.gatewayId));
      if (epoch === null) continue;
      const key = `${epoch}|${JSON.stringify(view)}`;
      if (this.publishedBuses.get(view.gatewayId) !== key)
        out.push({ under: { gatewayId: view.gatewayId, epoch }, view, key });
    }
    return out;
  }

  private async writeQueued(publish: boolean): Promise<void> {
    this.flushQueued = false;
    const buses = publish ? this.toPublish() : [];
    if (this.history.length === 0 && this.current.size === 0 && buses.length === 0) return;
    const current = [...this.current.values()];
    const history = this.history;
    this.current = new Map();
    this.history = [];
    const batches = this.leases.clustered ? byLease(current, history, buses) : [{ under: null, current, history }];
    try {
      await this.writeBatches(batches);
    } catch (e) {
      // put it back in front of what came meanwhile (newer current rows win), to try again on the next flush
      for (const q of batches.flatMap((b) => b.current))
        if (!this.current.has(q.row.terminalId)) this.current.set(q.row.terminalId, q);
      this.history = [...batches.flatMap((b) => b.history), ...this.history];
      throw e;
    }
    if (this.dropped > 0) {
      this.log.warn(
        `${this.dropped} status changes were not written to the history while the database was unreachable`,
      );
      this.dropped = 0;
    }
  }

  /**
   * Writes the batches in one transaction. In a cluster the leases they were recorded under are fenced last, all
   * at once: a batch whose lease has moved is refused (dropped, counted, logged) and the others are written again
   * without it. A batch that was refused is taken out of `batches`, so a failure after it puts back only the rest.
   */
  private async writeBatches(batches: Batch[]): Promise<void> {
    const at = Math.max(this.clock.now(), this.lastPublishedAt + 1);
    for (;;) {
      if (batches.length === 0) return;
      const rows = batches.flatMap((b) => b.current.map((q) => q.row));
      const history = batches.flatMap((b) => b.history.map((q) => q.row));
      const leases = batches.flatMap((b) =>
        b.under ? [{ key: busKey(b.under.gatewayId), epoch: b.under.epoch }] : [],
      );
      const buses = batches.flatMap((b) => (b.bus ? [b.bus] : []));
      try {
        await this.repo.write(
          rows,
          history,
          leases.length ? (tx) => fenceAll(tx, leases) : undefined,
          buses.map((p) => this.busRow(p, at)),
        );
        if (buses.length > 0) this.lastPublishedAt = at;
        for (const p of buses) this.publishedBuses.set(p.under.gatewayId, p.key);
        return;
      } catch (e) {
        if (!(e instanceof StaleLeasesError)) throw e;
        const stale = new Set(e.stale.map((l) => `${l.key}@${l.epoch}`));
        for (let i = batches.length - 1; i >= 0; i--) {
          const under = batches[i].under;
          if (!under || !stale.has(`${busKey(under.gatewayId)}@${under.epoch}`)) continue;
          const [refused] = batches.splice(i, 1);
          this.refusedChanges += refused.history.length;
          if (refused.history.length > 0)
            this.log.warn(
              `${refused.history.length} status changes of ${busKey(under.gatewayId)} not written: this instance no longer holds it at epoch ${under.epoch}`,
            );
        }
      }
    }
  }

  private busRow(p: Publication, at: number): BusStatusEntity {
    const { view } = p;
    return {
      gatewayId: view.gatewayId,
      areaCode: view.areaCode,
      holder: this.leases.options.instanceId,
      epoch: p.under.epoch,
      connection: view.connection,
      since: new Date(view.since),
      detail: view.detail?.slice(0, 255) ?? null,
      terminals: view.terminals,
      areas: view.areas,
      writtenAt: new Date(at),
    };
  }

  /** Adds one sample of every region's live online rate to the day's roll-up. */
  async sampleOnlineRates(at: Date): Promise<void> {
    const samples = this.monitoring
      .onlineRates()
      .map((r) => ({ areaCode: r.areaCode, online: r.online, registered: r.registered }));
    await this.repo.addDailySamples(dayOf(at), samples, at);
  }

  async prune(at: Date): Promise<number> {
    const removed = await this.repo.pruneHistory(
      new Date(at.getTime() - this.config.monitoring.statusHistoryDays * 86_400_000),
    );
    if (removed > 0)
      this.log.log(
        `removed ${removed} status history rows older than ${this.config.monitoring.statusHistoryDays} days`,
      );
    return removed;
  }
}
