/**
 * Monitoring's changes to the clients watching a region, a terminal or a gateway (live-hub.ts): a terminal's or a
 * gateway's change goes to the watchers of every region it is counted in (their subscriptions are already narrowed to
 * their scopes), of the terminal, and of its gateway if the terminal is in their scopes; a moved rate to the watchers
 * of its area and of the regions above it.
 */
import { canReach } from '../auth/scope';
import type { GatewayStatus } from '../monitoring/monitoring.service';
import { areaCodeOfPrefix, countingPrefixes } from '../monitoring/online-rate';
import type { LiveStatus } from '../monitoring/status-store';
import { addTo, type Watcher } from './subscription-request';

type Client = Pick<Watcher, 'user' | 'feed'>;

export class MonitoringRoutes<C extends Client> {
  private readonly regions = new Map<string, Set<C>>();
  private readonly terminalWatch = new Map<number, Set<C>>();
  private readonly gatewayWatch = new Map<number, Set<C>>();
  /** Per area code: the prefixes it is counted under, and the area code each stands for. */
  private readonly prefixCache = new Map<string, { prefixes: string[]; codes: string[] }>();

  /** Watches the regions under `prefixes`; returns how to stop. */
  watchRegion(prefixes: string[], c: C): () => void {
    const removers = prefixes.map((p) => addTo(this.regions, p, c));
    return () => removers.forEach((r) => r());
  }

  watchTerminal(terminalId: number, c: C): () => void {
    return addTo(this.terminalWatch, terminalId, c);
  }

  watchGateway(gatewayId: number, c: C): () => void {
    return addTo(this.gatewayWatch, gatewayId, c);
  }

  private prefixesOf(areaCode: string): { prefixes: string[]; codes: string[] } {
    let p = this.prefixCache.get(areaCode);
    if (!p) {
      const prefixes = countingPrefixes(areaCode);
      p = { prefixes, codes: prefixes.map(areaCodeOfPrefix) };
      this.prefixCache.set(areaCode, p);
    }
    return p;
  }

  /** A terminal's change; `rateChanged`: the rates of its areas moved with it. */
  terminal(status: LiveStatus, at: number, rateChanged: boolean): void {
    const { prefixes, codes } = this.prefixesOf(status.areaCode);
    for (let i = 0; i < prefixes.length; i++) {
      const watchers = this.regions.get(prefixes[i]);
      if (!watchers) continue;
      for (const c of watchers) {
        c.feed.terminal(status, at);
        if (rateChanged) for (let j = i; j < prefixes.length; j++) c.feed.rate(codes[j]);
      }
    }
    const direct = this.terminalWatch.get(status.terminalId);
    if (direct) for (const c of direct) c.feed.terminal(status, at);
    const byGateway = this.gatewayWatch.get(status.gatewayId);
    if (byGateway) for (const c of byGateway) if (canReach(c.user, status.areaCode)) c.feed.terminal(status, at);
  }

  /** Rates that moved (area codes), each to the watchers of its area and of the regions above it. */
  rates(codes: string[]): void {
    for (const code of codes)
      for (const p of this.prefixesOf(code).prefixes) {
        const watchers = this.regions.get(p);
        if (watchers) for (const c of watchers) c.feed.rate(code);
      }
  }

  gateway(status: GatewayStatus): void {
    for (const p of this.prefixesOf(status.areaCode).prefixes) {
      const watchers = this.regions.get(p);
      if (watchers) for (const c of watchers) c.feed.gateway(status);
    }
    const direct = this.gatewayWatch.get(status.gatewayId);
    if (direct) for (const c of direct) c.feed.gateway(status);
  }
}
