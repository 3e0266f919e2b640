/**
 * What a region, terminal or gateway subscription starts from: the terminals, gateways and rates inside the client's
 * view now, from monitoring's memory. In a cluster, the terminals and gateways of the buses other instances drive come
 * as those instances publish them (src/monitoring/shared-monitoring.ts: the registry's terminals with their published
 * connectivity and their last written status), and the rates are the cluster's (docs/cluster.md, "Monitoring across
 * instances"). Alone, an instance's own, as always.
 */
import type { AuthUser } from '../auth/auth-user';
import { canReach } from '../auth/scope';
import type { GatewayStatus, MonitoringService } from '../monitoring/monitoring.service';
import type { OnlineRate } from '../monitoring/online-rate';
import type { SharedMonitoring } from '../monitoring/shared-monitoring';
import type { LiveStatus } from '../monitoring/status-store';
import type { TerminalsRepository } from '../terminals/terminals.repository';
import { liveGateway, liveTerminal } from './live-payload';
import type { LiveSnapshot } from './subscription-request';

export interface SnapshotRefusal {
  code: 'not_found' | 'forbidden_area';
  message: string;
}

const snapshot = (parts: Pick<LiveSnapshot, 'terminals' | 'gateways' | 'rates'>): LiveSnapshot => ({
  ...parts,
  alarms: [],
  broadcasts: [],
});

const asLive = (s: LiveStatus) => liveTerminal(s, s.since);

export class MonitoringSnapshots {
  constructor(
    private readonly monitoring: MonitoringService,
    private readonly shared: SharedMonitoring,
    private readonly registry: TerminalsRepository,
  ) {}

  /** A gateway tracked here or, in a cluster, driven by another instance. */
  private gateway(gatewayId: number): GatewayStatus | undefined {
    return this.monitoring.gateway(gatewayId) ?? this.shared.gateway(gatewayId);
  }

  /** The terminals other instances monitor (none alone), those tracked here left out. */
  private async others(narrow: Parameters<SharedMonitoring['terminals']>[0]): Promise<LiveStatus[]> {
    if (!this.shared.clustered) return [];
    return (await this.shared.terminals(narrow)).filter((s) => !this.monitoring.terminal(s.terminalId));
  }

  /** Everything under `visible` (the client's subtrees of what it asked, `prefixes` theirs). */
  async region(visible: string[], prefixes: string[]): Promise<LiveSnapshot> {
    const within = (code: string): boolean => prefixes.some((p) => code.startsWith(p));
    const terminals = [...this.monitoring.terminals()].filter((s) => within(s.areaCode)).map(asLive);
    terminals.push(...(await this.others({ prefixes })).map(asLive));
    const gateways = [...this.monitoring.gatewayList(), ...this.shared.gateways()]
      .filter((g) => within(g.areaCode))
      .map(liveGateway);
    return snapshot({ terminals, gateways, rates: this.ratesFor(visible) });
  }

  /** The rates of each visible root and of its direct children. */
  private ratesFor(roots: string[]): OnlineRate[] {
    return roots.flatMap((root) => {
      const { area, children } = this.monitoring.onlineRateWithChildren(root);
      return [area, ...children];
    });
  }

  /** One terminal with its gateway, or why not. */
  async terminal(user: AuthUser, terminalId: number): Promise<LiveSnapshot | SnapshotRefusal> {
    const live = this.monitoring.terminal(terminalId) ?? (await this.others({ terminalIds: [terminalId] }))[0];
    const areaCode = live?.areaCode ?? (await this.registry.findById(terminalId))?.areaCode;
    if (!areaCode) return { code: 'not_found', message: `terminal ${terminalId} does not exist` };
    if (!canReach(user, areaCode))
      return { code: 'forbidden_area', message: `terminal ${terminalId} is outside your area scope` };
    const g = live ? this.gateway(live.gatewayId) : undefined;
    return snapshot({ terminals: live ? [asLive(live)] : [], gateways: g ? [liveGateway(g)] : [], rates: [] });
  }

  /** One gateway with its terminals inside the client's scopes, or why not. */
  async gatewayWithTerminals(user: AuthUser, gatewayId: number): Promise<LiveSnapshot | SnapshotRefusal> {
    const g = this.gateway(gatewayId);
    if (!g) return { code: 'not_found', message: `gateway ${gatewayId} has no open bus` };
    if (!canReach(user, g.areaCode))
      return { code: 'forbidden_area', message: `gateway ${gatewayId} is outside your area scope` };
    const here = [...this.monitoring.terminals()].filter((s) => s.gatewayId === gatewayId);
    const terminals = (this.monitoring.gateway(gatewayId) ? here : await this.others({ gatewayId }))
      .filter((s) => canReach(user, s.areaCode))
      .map(asLive);
    return snapshot({ terminals, gateways: [liveGateway(g)], rates: [] });
  }
}
