/**
 * What a technician asks about terminals and regions: live status from memory (the database only for what is not
 * tracked now), status history, online rates live and by day. Every answer stays inside the user's area scopes.
 * In a cluster, a terminal or gateway another instance drives is answered as that instance publishes it, and the
 * rates are the cluster's (shared-monitoring.ts).
 */
import { Injectable } from '@nestjs/common';
import type { AuthUser } from '../auth/auth-user';
import { assertCanReach } from '../auth/scope';
import { ValidationFailedError } from '../common/errors';
import type { Page } from '../common/paging';
import { TerminalsService } from '../terminals/terminals.service';
import type { TerminalReading } from './terminal-reading';
import type { Connectivity } from './connectivity';
import type { GatewayStatus } from './monitoring.service';
import { MonitoringService } from './monitoring.service';
import { SharedMonitoring } from './shared-monitoring';
import type { OnlineRate } from './online-rate';
import { dayOf } from './status-writer';
import { StatusRepository } from './status.repository';
import { Clock } from '../common/clock';

export interface TerminalStatusView {
  terminalId: number;
  areaCode: string;
  gatewayId: number;
  /**
   * Whether it is polled now, here or (in a cluster) by the instance driving its bus (false: disabled, its gateway
   * closed, or the field off — the rest is the last known).
   */
  tracked: boolean;
  connectivity: Connectivity;
  online: boolean;
  since: string | null;
  lastSeen: string | null;
  failures: number;
  lastError: string | null;
  errorCounts: Record<string, number>;
  reading: TerminalReading | null;
  gateway: { gatewayId: number; connection: GatewayStatus['connection']; since: string; detail: string | null } | null;
}

export interface StatusHistoryItem {
  at: string;
  previous: Connectivity;
  connectivity: Connectivity;
  fields: string[];
  lastError: string | null;
  reading: TerminalReading | null;
}

export interface DailyRate {
  day: string;
  ratePercent: number | null;
  minPercent: number;
  maxPercent: number;
  samples: number;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

@Injectable()
export class StatusQueries {
  constructor(
    private readonly monitoring: MonitoringService,
    private readonly terminals: TerminalsService,
    private readonly repo: StatusRepository,
    private readonly clock: Clock,
    private readonly shared: SharedMonitoring,
  ) {}

  async terminalStatus(user: AuthUser, terminalId: number): Promise<TerminalStatusView> {
    const terminal = await this.terminals.get(terminalId, user);
    const live =
      this.monitoring.terminal(terminalId) ??
      (this.shared.clustered ? (await this.shared.terminals({ terminalIds: [terminalId] }))[0] : undefined);
    const bus = this.monitoring.gateway(terminal.gatewayId) ?? this.shared.gateway(terminal.gatewayId);
    const gateway = bus
      ? {
          gatewayId: bus.gatewayId,
          connection: bus.connection,
          since: new Date(bus.since).toISOString(),
          detail: bus.detail,
        }
      : null;
    if (live) {
      return {
        terminalId,
        areaCode: live.areaCode,
        gatewayId: live.gatewayId,
        tracked: true,
        connectivity: live.connectivity,
        online: live.online,
        since: iso(live.since),
        lastSeen: iso(live.lastSeen),
        failures: live.failures,
        lastError: live.lastError,
        errorCounts: { ...live.errorCounts },
        reading: live.reading,
        gateway,
      };
    }
    const row = await this.repo.findCurrent(terminalId);
    return {
      terminalId,
      areaCode: terminal.areaCode,
      gatewayId: terminal.gatewayId,
      tracked: false,
      connectivity: row?.connectivity ?? 'unknown',
      online: false,
      since: row?.since.toISOString() ?? null,
      lastSeen: row?.lastSeen?.toISOString() ?? null,
      failures: row?.failures ?? 0,
      lastError: row?.lastError ?? null,
      errorCounts: row?.errorCounts ?? {},
      reading: row?.reading ?? null,
      gateway,
    };
  }

  async history(
    user: AuthUser,
    terminalId: number,
    q: { from?: string; to?: string; limit: number; offset: number },
  ): Promise<Page<StatusHistoryItem>> {
    await this.terminals.get(terminalId, user);
    const to = q.to ? new Date(q.to) : this.clock.date();
    const from = q.from ? new Date(q.from) : new Date(to.getTime() - 86_400_000);
    if (from > to) throw ValidationFailedError.field('from', 'from must not be after to');
    const page = await this.repo.history(terminalId, from, to, q.limit, q.offset);
    return {
      items: page.items.map((h) => ({
        at: h.at.toISOString(),
        previous: h.previous,
        connectivity: h.connectivity,
        fields: h.fields,
        lastError: h.lastError,
        reading: h.reading,
      })),
      total: page.total,
    };
  }

  /** The region's live rate and its direct children's (a county's towns, a town's villages). */
  onlineRate(user: AuthUser, areaCode: string): { area: OnlineRate; children: OnlineRate[] } {
    assertCanReach(user, areaCode, 'online rate');
    return this.monitoring.onlineRateWithChildren(areaCode);
  }

  async daily(
    user: AuthUser,
    areaCode: string,
    from?: string,
    to?: string,
  ): Promise<{ areaCode: string; items: DailyRate[] }> {
    assertCanReach(user, areaCode, 'online rate');
    const last = to ?? dayOf(this.clock.date());
    const first = from ?? dayOf(new Date(this.clock.now() - 30 * 86_400_000));
    if (first > last) throw ValidationFailedError.field('from', 'from must not be after to');
    const rows = await this.repo.daily(areaCode, first, last);
    return {
      areaCode,
      items: rows.map((r) => ({
        day: r.day,
        ratePercent: r.registeredSum === 0 ? null : Math.round((r.onlineSum / r.registeredSum) * 10_000) / 100,
        minPercent: r.minPercent,
        maxPercent: r.maxPercent,
        samples: r.samples,
      })),
    };
  }
}
