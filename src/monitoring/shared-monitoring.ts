/**
 * Monitoring across the instances of a cluster (docs/cluster.md, "Monitoring across instances"). Each holder
 * publishes its buses (`bus_status`, written by StatusWriter in its fenced flush: the gateway's connection, each
 * terminal's connectivity, counts per area); every second this service reads what the holders wrote since it last
 * looked and counts in the buses **another instance** drives: published by that instance, which holds the bus's lease
 * as of the last renewal, and not tracked here. Their counts go into MonitoringService's online rates, and
 * `rateChanges` says which areas moved, for /live. Snapshots and REST answers take the terminals of those buses from
 * the registry, their connectivity as published and the rest from their last written `terminal_status` row; the
 * alarms take the other buses' states for a town's uplink.
 *
 * Not clustered, nothing here runs: monitoring is this instance's, in memory, as always.
 */
import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { Observable, Subject, type Subscription } from 'rxjs';
import { busKey, LeaseManager } from '../cluster/lease-manager';
import { Clock, type TimerHandle } from '../common/clock';
import { countersOf, gatewayOf, type PublishedBus, publishedBusIsDown } from './bus-summary';
import type { OtherBus } from './alarm-causes';
import { type Connectivity, countsOnline } from './connectivity';
import { type GatewayStatus, MonitoringService } from './monitoring.service';
import { OnlineRateCounters } from './online-rate';
import { SharedStatusRepository, type TerminalRow } from './shared-status.repository';
import type { LiveStatus } from './status-store';

/** How often the published buses are read, ms. */
export const SHARED_READ_MS = 1_000;
/** Every this many reads, every bus is read again whatever each holder wrote last (a holder's clock set back). */
const FULL_READ_EVERY = 30;

/** A terminal on another instance's bus: its row, with the connectivity its holder published. */
function liveOf(row: TerminalRow, bus: PublishedBus, connectivity: Connectivity): LiveStatus {
  const s = row.status;
  return {
    terminalId: row.terminal.id,
    areaCode: row.terminal.areaCode,
    gatewayId: row.terminal.gatewayId,
    connectivity,
    online: countsOnline(connectivity),
    // the row's time when it says the same; else the change is not written yet: no later than the publication
    since: s && s.connectivity === connectivity ? s.since.getTime() : bus.writtenAt,
    lastSeen: s?.lastSeen?.getTime() ?? null,
    failures: s?.failures ?? 0,
    lastError: s?.lastError ?? null,
    errorCounts: { ...s?.errorCounts },
    reading: s?.reading ?? null,
  };
}

@Injectable()
export class SharedMonitoring implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('SharedMonitoring');
  /** Every bus as last read, by gateway id, whoever wrote it. */
  private readonly published = new Map<number, PublishedBus>();
  /** Per holder, the time of the latest write read from it. */
  private readonly watermarks = new Map<string, number>();
  /** The buses another instance drives, counted here now. */
  private counted = new Map<number, PublishedBus>();
  private counters = new OnlineRateCounters();
  /** Terminal → its connectivity and bus, over `counted`; built when first asked after a recount. */
  private terminalIndex: Map<number, { gatewayId: number; connectivity: Connectivity }> | null = null;
  private readonly changed = new Subject<string[]>();
  private readonly subscriptions: Subscription[] = [];
  private timer: TimerHandle | null = null;
  private reading: Promise<void> = Promise.resolve();
  private reads = 0;
  private stopped = false;
  private recountQueued = false;

  constructor(
    private readonly monitoring: MonitoringService,
    private readonly repo: SharedStatusRepository,
    private readonly leases: LeaseManager,
    private readonly clock: Clock,
  ) {}

  get clustered(): boolean {
    return this.leases.clustered;
  }

  /** Area codes whose rate moved by what the other instances publish (a read, a renewal, a bus opened or closed here). */
  get rateChanges(): Observable<string[]> {
    return this.changed.asObservable();
  }

  onApplicationBootstrap(): void {
    if (!this.clustered) return;
    this.monitoring.shareRates({
      countsOf: (areaCode) => this.counters.countsOf(areaCode),
      areas: () => this.counters.areas(),
    });
    this.subscriptions.push(
      // a bus opened or closed here leaves or joins the others' count; a renewal may have seen a holder change
      this.monitoring.gatewayTracking.subscribe(() => this.recountSoon()),
      this.leases.members.subscribe(() => this.recount()),
    );
    this.schedule();
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.timer?.cancel();
    for (const s of this.subscriptions) s.unsubscribe();
    this.changed.complete();
  }

  /** Reads what the holders wrote since the last read, now; resolves once it is counted. */
  read(): Promise<void> {
    this.reading = this.reading
      .then(() => this.readOnce())
      .catch((e: unknown) => {
        if (!this.stopped) this.log.warn(`published buses not read: ${(e as Error).message}`);
      });
    return this.reading;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => void this.read().finally(() => this.schedule()), SHARED_READ_MS);
  }

  private async readOnce(): Promise<void> {
    if (this.stopped) return;
    const full = this.reads++ % FULL_READ_EVERY === 0;
    for (const bus of await this.repo.busesWrittenSince(full ? null : this.watermarks)) {
      this.published.set(bus.gatewayId, bus);
      this.watermarks.set(bus.holder, Math.max(this.watermarks.get(bus.holder) ?? 0, bus.writtenAt));
    }
    this.recount();
  }

  /**
   * Whether a published bus counts here: another instance holds its lease and wrote it, and this one does not track
   * it (nor its terminals, which an instance with the field off counts as unknown).
   */
  private counts(bus: PublishedBus): boolean {
    const first = bus.terminals[0]?.[0];
    return (
      bus.holder !== this.leases.options.instanceId &&
      this.monitoring.gateway(bus.gatewayId) === undefined &&
      (first === undefined || this.monitoring.terminal(first) === undefined) &&
      this.leases.ownerOf(busKey(bus.gatewayId)) === bus.holder
    );
  }

  /** Buses opened together (a takeover of hundreds) are counted again once, on the next turn of the event loop. */
  private recountSoon(): void {
    if (this.recountQueued) return;
    this.recountQueued = true;
    setImmediate(() => {
      this.recountQueued = false;
      this.recount();
    });
  }

  private recount(): void {
    if (this.stopped) return;
    const counted = new Map<number, PublishedBus>();
    for (const bus of this.published.values()) if (this.counts(bus)) counted.set(bus.gatewayId, bus);
    const counters = countersOf(counted.values());
    const changed = counters.changedFrom(this.counters);
    this.counted = counted;
    this.counters = counters;
    this.terminalIndex = null;
    if (changed.length > 0) this.changed.next(changed);
  }

  private index(): Map<number, { gatewayId: number; connectivity: Connectivity }> {
    if (this.terminalIndex) return this.terminalIndex;
    const index = new Map<number, { gatewayId: number; connectivity: Connectivity }>();
    for (const bus of this.counted.values())
      for (const [terminalId, connectivity] of bus.terminals)
        index.set(terminalId, { gatewayId: bus.gatewayId, connectivity });
    return (this.terminalIndex = index);
  }

  /** A gateway whose bus another instance drives, as published; undefined otherwise. */
  gateway(gatewayId: number): GatewayStatus | undefined {
    const bus = this.counted.get(gatewayId);
    return bus ? gatewayOf(bus) : undefined;
  }

  /** Every gateway whose bus another instance drives. */
  gateways(): GatewayStatus[] {
    return [...this.counted.values()].map(gatewayOf);
  }

  /** Which instance drives the gateway's bus, when another one does. */
  holderOf(gatewayId: number): string | undefined {
    return this.counted.get(gatewayId)?.holder;
  }

  /** The bus of a terminal another instance monitors. */
  gatewayOfTerminal(terminalId: number): number | undefined {
    return this.index().get(terminalId)?.gatewayId;
  }

  /** Whether a terminal another instance monitors is online as it published; undefined when none does. */
  online(terminalId: number): boolean | undefined {
    const t = this.index().get(terminalId);
    return t ? countsOnline(t.connectivity) : undefined;
  }

  /**
   * The cluster's other buses (not tracked here), for the towns' uplinks: down or not as their holder published them;
   * `down: null` when nobody publishes one now (its holder stopped, or it is just changing hands).
   */
  otherBuses(): OtherBus[] {
    const others: OtherBus[] = [];
    for (const bus of this.published.values()) {
      if (this.monitoring.gateway(bus.gatewayId) || !this.leases.isBus(busKey(bus.gatewayId))) continue;
      const counted = this.counted.get(bus.gatewayId);
      others.push({
        gatewayId: bus.gatewayId,
        areaCode: bus.areaCode,
        down: counted ? publishedBusIsDown(counted) : null,
        terminalIds: bus.terminals.map(([id]) => id),
      });
    }
    return others;
  }

  /**
   * The terminals other instances monitor, narrowed to area prefixes, a bus or some terminals: from the registry,
   * with the connectivity their holder published and the rest as last written. None when not clustered.
   */
  async terminals(narrow: { prefixes?: string[]; gatewayId?: number; terminalIds?: number[] }): Promise<LiveStatus[]> {
    if (!this.clustered) return [];
    const buses = narrow.gatewayId === undefined ? [...this.counted.keys()] : [narrow.gatewayId];
    const rows = await this.repo.terminalsOn(
      buses.filter((g) => this.counted.has(g)),
      narrow,
    );
    const index = this.index();
    const out: LiveStatus[] = [];
    for (const row of rows) {
      const t = index.get(row.terminal.id);
      const bus = t && this.counted.get(t.gatewayId);
      // a terminal its holder does not track yet (just added or moved) comes with its next publication
      if (t && bus && t.gatewayId === row.terminal.gatewayId) out.push(liveOf(row, bus, t.connectivity));
    }
    return out;
  }
}
