/**
 * The one door into monitoring: the field module reports what its buses see (good reads, failed reads, connection
 * changes) and monitoring keeps the live state, emits changes and derives alarms. Monitoring never imports
 * device-drivers; the field module maps driver events onto these calls (docs/architecture.md, "The status path").
 * Current status is read from memory here, never from SQL.
 *
 * In a cluster the online rates are the cluster's: those of the terminals tracked here plus those the other instances
 * publish for their buses (`shareRates`, shared-monitoring.ts); everything else here (terminals, gateways, changes)
 * is what this instance tracks.
 */
import { Inject, Injectable, OnModuleDestroy, Optional } from '@nestjs/common';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { Observable, Subject } from 'rxjs';
import { areaLevel, childLevel, isWithinArea } from '../../firmware-protocols/codes';
import type { GatewayState } from './alarm-causes';
import type { ConnectivityPolicy } from './connectivity';
import { type Counts, type OnlineRate, plusCounts } from './online-rate';
import {
  type KnownStatus,
  type LiveStatus,
  type MonitoredTerminal,
  type StatusChange,
  StatusStore,
} from './status-store';
import type { TerminalReading } from './terminal-reading';
import type { RequestFailureKind } from '../field/field-port';

export type BusConnection = 'connecting' | 'connected' | 'disconnected' | 'stopped';

export interface MonitoredGateway {
  gatewayId: number;
  areaCode: string;
}

export interface GatewayStatus extends MonitoredGateway {
  connection: BusConnection;
  /** When the connection state last changed (ms since epoch). */
  since: number;
  detail: string | null;
}

/** The rates of the terminals other instances of a cluster monitor (their buses), counted in with this one's. */
export interface OtherRates {
  countsOf(areaCode: string): Counts;
  /** Every area they count, from the county down. */
  areas(): Iterable<OnlineRate>;
}

export interface GatewayChange {
  at: number;
  previous: BusConnection | null;
  status: GatewayStatus;
}

@Injectable()
export class MonitoringService implements OnModuleDestroy {
  private store: StatusStore;
  private readonly gateways = new Map<number, GatewayStatus>();
  private readonly statusChanges = new Subject<StatusChange>();
  private readonly gatewayChanges = new Subject<GatewayChange>();
  private readonly trackedGateways = new Subject<number>();
  private others: OtherRates | null = null;
  /** What the database remembered at start, used once when each terminal is first tracked. */
  private remembered = new Map<number, KnownStatus>();

  constructor(@Optional() @Inject(APP_CONFIG) config?: AppConfig) {
    this.store = new StatusStore(
      config
        ? {
            offlineAfterFailures: config.field.offlineAfterFailures,
            offlineAfterSilenceMs: config.field.offlineAfterSilenceMs,
          }
        : undefined,
    );
  }

  /** Replaces the connectivity policy (the server takes it from the config); call before any terminal is tracked. */
  configure(policy: ConnectivityPolicy): void {
    if ([...this.store.all()].length > 0) throw new Error('monitoring policy must be set before terminals are tracked');
    this.store = new StatusStore(policy);
  }

  /** Every change of a terminal's live state, in the order it happened. */
  get changes(): Observable<StatusChange> {
    return this.statusChanges.asObservable();
  }

  /** Every change of a gateway's (bus's) connection state. */
  get gatewayEvents(): Observable<GatewayChange> {
    return this.gatewayChanges.asObservable();
  }

  /** A gateway's bus began or ceased to be tracked here (by id). */
  get gatewayTracking(): Observable<number> {
    return this.trackedGateways.asObservable();
  }

  /** In a cluster: the rates answered from now on count the other instances' terminals in. */
  shareRates(others: OtherRates): void {
    this.others = others;
  }

  /** What was known of terminals before a restart (last seen, last reading, error counters); call before tracking. */
  remember(known: Map<number, KnownStatus>): void {
    this.remembered = known;
  }

  trackTerminal(terminal: MonitoredTerminal, at: number): void {
    const known = this.remembered.get(terminal.terminalId);
    this.remembered.delete(terminal.terminalId);
    this.store.register(terminal, at, known);
  }

  untrackTerminal(terminalId: number): void {
    this.store.unregister(terminalId);
  }

  trackGateway(gateway: MonitoredGateway, at: number): void {
    const existing = this.gateways.get(gateway.gatewayId);
    if (existing) {
      existing.areaCode = gateway.areaCode;
      return;
    }
    this.gateways.set(gateway.gatewayId, { ...gateway, connection: 'connecting', since: at, detail: null });
    this.trackedGateways.next(gateway.gatewayId);
  }

  untrackGateway(gatewayId: number): void {
    if (this.gateways.delete(gatewayId)) this.trackedGateways.next(gatewayId);
  }

  readOk(terminalId: number, reading: TerminalReading, at: number): void {
    const change = this.store.readOk(terminalId, reading, at);
    if (change) this.statusChanges.next(change);
  }

  readFailed(terminalId: number, errorKind: RequestFailureKind, at: number): void {
    const change = this.store.readFailed(terminalId, errorKind, at);
    if (change) this.statusChanges.next(change);
  }

  gatewayConnection(gatewayId: number, connection: BusConnection, at: number, detail?: string): void {
    const gateway = this.gateways.get(gatewayId);
    if (!gateway || gateway.connection === connection) return;
    const previous = gateway.connection;
    gateway.connection = connection;
    gateway.since = at;
    gateway.detail = detail ?? null;
    this.gatewayChanges.next({ at, previous, status: { ...gateway } });
  }

  /** Marks offline whatever has been silent too long; the field module calls it on a timer. */
  sweepSilence(at: number): void {
    for (const change of this.store.sweepSilence(at)) this.statusChanges.next(change);
  }

  terminal(terminalId: number): LiveStatus | undefined {
    return this.store.get(terminalId);
  }

  terminals(): IterableIterator<LiveStatus> {
    return this.store.all();
  }

  gateway(gatewayId: number): GatewayStatus | undefined {
    return this.gateways.get(gatewayId);
  }

  gatewayStates(): GatewayState[] {
    return [...this.gateways.values()].map((g) => ({
      gatewayId: g.gatewayId,
      areaCode: g.areaCode,
      connectionDown: g.connection === 'disconnected',
    }));
  }

  onlineRate(areaCode: string): OnlineRate {
    const here = this.store.onlineRate(areaCode);
    return this.others ? plusCounts(here, this.others.countsOf(areaCode)) : here;
  }

  /** A region's live rate and its direct children's (a county's towns, a town's villages), children by code. */
  onlineRateWithChildren(areaCode: string): { area: OnlineRate; children: OnlineRate[] } {
    const below = childLevel(areaLevel(areaCode));
    const children =
      below === null
        ? []
        : this.onlineRates().filter(
            (r) => r.areaCode !== areaCode && isWithinArea(r.areaCode, areaCode) && areaLevel(r.areaCode) === below,
          );
    children.sort((a, b) => a.areaCode.localeCompare(b.areaCode));
    return { area: this.onlineRate(areaCode), children };
  }

  /** The live rate of every region from the county down. */
  onlineRates(): OnlineRate[] {
    const here = [...this.store.onlineRates()];
    const others = this.others;
    if (!others) return here;
    const codes = new Set(here.map((r) => r.areaCode));
    const merged = here.map((r) => plusCounts(r, others.countsOf(r.areaCode)));
    for (const r of others.areas()) if (!codes.has(r.areaCode)) merged.push(r);
    return merged;
  }

  gatewayList(): GatewayStatus[] {
    return [...this.gateways.values()];
  }

  onModuleDestroy(): void {
    this.statusChanges.complete();
    this.gatewayChanges.complete();
    this.trackedGateways.complete();
  }
}
