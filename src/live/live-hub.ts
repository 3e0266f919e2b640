/**
 * Who watches what on the live channel, and routing of every change to exactly those watchers. Terminal changes come
 * from monitoring, gateway changes from monitoring, alarm events from the alarms service; each is looked up in the
 * indexes (region prefix, terminal, gateway, alarms) and folded into the outboxes (LiveFeed) of the clients whose
 * subscription — already narrowed to their area scopes — covers it. A client never gets anything outside its scopes.
 * With DALABA_REDIS_URL, the other instances' changes arrive too (live-fanout.ts) and are routed by the same code.
 */
import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { areaPrefix } from '../../firmware-protocols/codes';
import type { AuthUser } from '../auth/auth-user';
import { canReach, isUnrestricted, visibleSubtrees } from '../auth/scope';
import { isWithinArea } from '../../firmware-protocols/codes';
import { AlarmsService, type PublishedAlarmEvent } from '../monitoring/alarms.service';
import { MonitoringService } from '../monitoring/monitoring.service';
import { areaCodeOfPrefix, countingPrefixes } from '../monitoring/online-rate';
import type { OnlineRate } from '../monitoring/online-rate';
import { TerminalsRepository } from '../terminals/terminals.repository';
import { type FeedSink, type FeedTimers, LiveFeed, feedTimers } from './live-feed';
import type { AlertChange } from '../alerts/alert-input';
import { AlertsService } from '../alerts/alerts.service';
import { RelayChanges } from '../relay/relay-view';
import { BroadcastReportsService } from '../dispatch/broadcast-reports.service';
import { DELIVERY_STATES, emptyCounts, type DeliveryState } from '../dispatch/delivery-lifecycle';
import { type BroadcastProgress, DispatchService } from '../dispatch/dispatch.service';
import { ToneProvisioning } from '../dispatch/tone-provisioning';
import { auditTime } from 'rxjs';
import { type LiveBroadcast, type LiveTerminal, liveGateway, liveTerminal } from './live-payload';
import { Clock } from '../common/clock';
import { AudioJobs } from '../audio/jobs/audio-jobs';
import { SelfTestScheduler } from '../selftest/self-test.scheduler';
import { LiveFanout } from './live-fanout';
import { type LiveInput, localInputs } from './live-input';
import { ProgressFeed, TONES_EVERY_MS } from './progress-feed';
import { RelayFeed } from './relay-feed';
import {
  MAX_SUBSCRIPTIONS,
  type SubscribeReply,
  addTo,
  emptySnapshot,
  fail,
  keyOf,
  parseSubscription,
} from './subscription-request';

export {
  MAX_SUBSCRIPTIONS,
  SUBSCRIPTION_KINDS,
  type LiveSnapshot,
  type SubscribeReply,
  type SubscriptionKind,
} from './subscription-request';

/** A client's view of one broadcast: the deliveries inside its scopes and their latest states. */
interface BroadcastView {
  prefixes: string[] | null;
  states: Map<number, string>;
}

interface LiveClient {
  user: AuthUser;
  broadcasts: Map<string, BroadcastView>;
  feed: LiveFeed;
  /** Subscription key → what it put in the indexes, to take it out again. */
  subscriptions: Map<string, () => void>;
}

function countOf(view: BroadcastView): Record<DeliveryState, number> {
  const counts = emptyCounts();
  for (const state of view.states.values())
    if ((DELIVERY_STATES as readonly string[]).includes(state)) counts[state as DeliveryState] += 1;
  return counts;
}

@Injectable()
export class LiveHub implements OnModuleInit, OnModuleDestroy {
  private readonly clients = new Map<string, LiveClient>();
  private readonly regions = new Map<string, Set<LiveClient>>();
  private readonly terminalWatch = new Map<number, Set<LiveClient>>();
  private readonly gatewayWatch = new Map<number, Set<LiveClient>>();
  /** Alarm watchers with the area prefixes they see (null: everything). */
  private readonly alarmWatch = new Map<LiveClient, Map<string, string[] | null>>();
  private readonly broadcastWatch = new Map<string, Set<LiveClient>>();
  /** Clients following the alerts list (every alert reaching into their scopes). */
  private readonly alertWatch = new Set<LiveClient>();
  /** Clients following the relay and self-test results, and those routed to them. */
  private readonly relayFeed = new RelayFeed();
  /** Clients following tone provisioning or an audio job. */
  private readonly progress: ProgressFeed;
  /** Per area code: the prefixes it is counted under, and the area code each stands for. */
  private readonly prefixCache = new Map<string, { prefixes: string[]; codes: string[] }>();
  private readonly streams: Subscription[] = [];
  timers: FeedTimers;

  constructor(
    private readonly monitoring: MonitoringService,
    private readonly alarms: AlarmsService,
    private readonly terminals: TerminalsRepository,
    private readonly dispatch: DispatchService,
    private readonly reports: BroadcastReportsService,
    private readonly alertsService: AlertsService,
    private readonly provisioning: ToneProvisioning,
    private readonly audioJobs: AudioJobs,
    private readonly relay: RelayChanges,
    private readonly selfTests: SelfTestScheduler,
    private readonly fanout: LiveFanout,
    clock: Clock,
  ) {
    this.timers = feedTimers(clock);
    this.progress = new ProgressFeed(provisioning, audioJobs);
  }

  onModuleInit(): void {
    const local = localInputs({
      terminals: this.monitoring.changes,
      gateways: this.monitoring.gatewayEvents,
      alarms: this.alarms.events,
      broadcasts: this.dispatch.progress,
      alerts: this.alertsService.changes,
      relay: this.relay.stream,
      selfTests: this.selfTests.results,
    });
    this.streams.push(
      local.subscribe((input) => {
        this.route(input, false);
        this.fanout.publish(input);
      }),
      // another instance's change: routed here alike, never published again
      this.fanout.received.subscribe((input) => this.route(input, true)),
      this.provisioning.changes.pipe(auditTime(TONES_EVERY_MS)).subscribe(() => this.progress.routeTones()),
      this.audioJobs.updates$.subscribe((job) => this.progress.routeAudioJob(job)),
    );
  }

  /**
   * One change to the clients who see it. A terminal of another instance does not move the online rates sent from
   * here: they count the terminals this instance monitors.
   */
  private route(input: LiveInput, remote: boolean): void {
    switch (input.kind) {
      case 'terminal':
        return this.routeTerminal(input.status, input.at, input.rateChanged && !remote);
      case 'gateway':
        return this.routeGateway(input.status);
      case 'alarm':
        return this.routeAlarm(input.event);
      case 'broadcast':
        return this.routeBroadcast(input.progress);
      case 'alert':
        return this.routeAlert(input.change);
      case 'relay':
        return this.relayFeed.routeRelay(input.change);
      case 'selfTest':
        return this.relayFeed.routeSelfTest(input.view);
    }
  }

  onModuleDestroy(): void {
    for (const s of this.streams) s.unsubscribe();
    for (const id of [...this.clients.keys()]) this.disconnect(id);
  }

  get connected(): number {
    return this.clients.size;
  }

  connect(clientId: string, user: AuthUser, sink: FeedSink): void {
    this.clients.set(clientId, {
      user,
      feed: new LiveFeed(sink, this.timers, (code) => this.monitoring.onlineRate(code)),
      subscriptions: new Map(),
      broadcasts: new Map(),
    });
  }

  /** The client's account as it stands now (roles, scopes): later subscriptions are narrowed by it. */
  refresh(clientId: string, user: AuthUser): void {
    const c = this.clients.get(clientId);
    if (c) c.user = user;
  }

  disconnect(clientId: string): void {
    const c = this.clients.get(clientId);
    if (!c) return;
    for (const remove of c.subscriptions.values()) remove();
    c.feed.close();
    this.clients.delete(clientId);
  }

  async subscribe(clientId: string, request: unknown): Promise<SubscribeReply> {
    const c = this.clients.get(clientId);
    if (!c) return fail('not_connected', 'not connected');
    const parsed = parseSubscription(request);
    if ('message' in parsed) return fail('invalid_subscription', parsed.message);
    const { kind, id } = parsed;
    const key = keyOf(parsed);
    if (!c.subscriptions.has(key) && c.subscriptions.size >= MAX_SUBSCRIPTIONS) {
      return fail(
        'too_many_subscriptions',
        `a connection holds at most ${MAX_SUBSCRIPTIONS} subscriptions; unsubscribe from one first`,
      );
    }
    c.subscriptions.get(key)?.();
    c.subscriptions.delete(key);
    switch (kind) {
      case 'region':
        return this.subscribeRegion(c, key, id as string);
      case 'terminal':
        return this.subscribeTerminal(c, key, id as number);
      case 'gateway':
        return this.subscribeGateway(c, key, id as number);
      case 'alarms':
        return this.subscribeAlarms(c, key, id as string | null);
      case 'broadcast':
        return this.subscribeBroadcast(c, key, id as string);
      case 'provisioning':
        return this.progress.subscribeTones(c, key, id as string | null);
      case 'audioJob':
        return this.progress.subscribeAudioJob(c, key, id as string);
      case 'relay':
        return this.relayFeed.subscribeRelay(c, key);
      case 'selfTests':
        return this.relayFeed.subscribeSelfTests(c, key, id as string | null);
      case 'alerts':
        this.alertWatch.add(c);
        c.subscriptions.set(key, () => this.alertWatch.delete(c));
        return { ok: true, subscription: { kind, id: null }, snapshot: emptySnapshot() };
    }
  }

  unsubscribe(clientId: string, request: unknown): { ok: boolean } {
    const c = this.clients.get(clientId);
    const parsed = parseSubscription(request);
    if (!c || 'message' in parsed) return { ok: false };
    const key = keyOf(parsed);
    const remove = c.subscriptions.get(key);
    remove?.();
    c.subscriptions.delete(key);
    return { ok: remove !== undefined };
  }

  private subscribeRegion(c: LiveClient, key: string, areaCode: string): SubscribeReply {
    const visible = visibleSubtrees(c.user, areaCode) ?? [areaCode];
    if (visible.length === 0) return fail('forbidden_area', `area ${areaCode} is outside your area scope`);
    const prefixes = visible.map((code) => areaPrefix(code));
    const removers = prefixes.map((p) => addTo(this.regions, p, c));
    c.subscriptions.set(key, () => removers.forEach((r) => r()));
    const within = (code: string): boolean => prefixes.some((p) => code.startsWith(p));
    const terminals: LiveTerminal[] = [];
    for (const s of this.monitoring.terminals()) if (within(s.areaCode)) terminals.push(liveTerminal(s, s.since));
    const gateways = this.monitoring
      .gatewayList()
      .filter((g) => within(g.areaCode))
      .map(liveGateway);
    return {
      ok: true,
      subscription: { kind: 'region', id: areaCode },
      snapshot: { terminals, gateways, rates: this.ratesFor(visible), alarms: [], broadcasts: [] },
    };
  }

  /** The rates of each visible root and of its direct children. */
  private ratesFor(roots: string[]): OnlineRate[] {
    return roots.flatMap((root) => {
      const { area, children } = this.monitoring.onlineRateWithChildren(root);
      return [area, ...children];
    });
  }

  private async subscribeTerminal(c: LiveClient, key: string, terminalId: number): Promise<SubscribeReply> {
    const live = this.monitoring.terminal(terminalId);
    const areaCode = live?.areaCode ?? (await this.terminals.findById(terminalId))?.areaCode;
    if (!areaCode) return fail('not_found', `terminal ${terminalId} does not exist`);
    if (!canReach(c.user, areaCode)) return fail('forbidden_area', `terminal ${terminalId} is outside your area scope`);
    c.subscriptions.set(key, addTo(this.terminalWatch, terminalId, c));
    const g = live ? this.monitoring.gateway(live.gatewayId) : undefined;
    return {
      ok: true,
      subscription: { kind: 'terminal', id: terminalId },
      snapshot: {
        terminals: live ? [liveTerminal(live, live.since)] : [],
        gateways: g ? [liveGateway(g)] : [],
        rates: [],
        alarms: [],
        broadcasts: [],
      },
    };
  }

  private subscribeGateway(c: LiveClient, key: string, gatewayId: number): SubscribeReply {
    const g = this.monitoring.gateway(gatewayId);
    if (!g) return fail('not_found', `gateway ${gatewayId} has no open bus`);
    if (!canReach(c.user, g.areaCode)) return fail('forbidden_area', `gateway ${gatewayId} is outside your area scope`);
    c.subscriptions.set(key, addTo(this.gatewayWatch, gatewayId, c));
    const terminals: LiveTerminal[] = [];
    for (const s of this.monitoring.terminals())
      if (s.gatewayId === gatewayId && canReach(c.user, s.areaCode)) terminals.push(liveTerminal(s, s.since));
    return {
      ok: true,
      subscription: { kind: 'gateway', id: gatewayId },
      snapshot: { terminals, gateways: [liveGateway(g)], rates: [], alarms: [], broadcasts: [] },
    };
  }

  private async subscribeAlarms(c: LiveClient, key: string, areaCode: string | null): Promise<SubscribeReply> {
    const visible = visibleSubtrees(c.user, areaCode ?? undefined);
    if (visible !== null && visible.length === 0)
      return fail(
        'forbidden_area',
        areaCode ? `area ${areaCode} is outside your area scope` : 'you have no area scope',
      );
    const prefixes = visible === null ? null : visible.map((code) => areaPrefix(code));
    const mine = this.alarmWatch.get(c) ?? new Map<string, string[] | null>();
    mine.set(key, prefixes);
    this.alarmWatch.set(c, mine);
    c.subscriptions.set(key, () => {
      mine.delete(key);
      if (mine.size === 0) this.alarmWatch.delete(c);
    });
    const active = await this.alarms.list(c.user, { state: 'active', areaCode: areaCode ?? undefined }, 500, 0);
    return {
      ok: true,
      subscription: { kind: 'alarms', id: areaCode },
      snapshot: { terminals: [], gateways: [], rates: [], alarms: active.items, broadcasts: [] },
    };
  }

  /** A broadcast's room: the deliveries inside the client's scopes now, then their changes with counts over them. */
  private async subscribeBroadcast(c: LiveClient, key: string, broadcastId: string): Promise<SubscribeReply> {
    let detail: Awaited<ReturnType<BroadcastReportsService['detail']>>;
    try {
      detail = await this.reports.detail(c.user, broadcastId);
    } catch {
      return fail('not_found', `broadcast ${broadcastId} does not exist in your area scope`);
    }
    const visible = visibleSubtrees(c.user);
    const view: BroadcastView = {
      prefixes: visible === null ? null : visible.map((code) => areaPrefix(code)),
      states: new Map(),
    };
    const rows = await this.reports.deliveries(c.user, broadcastId, {}, 1_000_000, 0);
    for (const d of rows.items) view.states.set(d.terminalId, d.state);
    c.broadcasts.set(broadcastId, view);
    const remove = addTo(this.broadcastWatch, broadcastId, c);
    c.subscriptions.set(key, () => {
      remove();
      c.broadcasts.delete(broadcastId);
    });
    const snapshot: LiveBroadcast = {
      broadcastId,
      alertId: detail.alertId,
      drill: detail.drill,
      state: detail.state,
      counts: countOf(view),
      changes: rows.items.map((d) => ({
        terminalId: d.terminalId,
        areaCode: d.areaCode,
        state: d.state,
        reason: d.reason,
      })),
    };
    return {
      ok: true,
      subscription: { kind: 'broadcast', id: broadcastId },
      snapshot: { terminals: [], gateways: [], rates: [], alarms: [], broadcasts: [snapshot] },
    };
  }

  private routeBroadcast(p: BroadcastProgress): void {
    const watchers = this.broadcastWatch.get(p.broadcastId);
    if (!watchers) return;
    for (const c of watchers) {
      const view = c.broadcasts.get(p.broadcastId);
      if (!view) continue;
      const mine =
        view.prefixes === null
          ? p.changes
          : p.changes.filter((x) => view.prefixes!.some((pre) => x.areaCode.startsWith(pre)));
      for (const x of mine) view.states.set(x.terminalId, x.state);
      c.feed.broadcast({ broadcastId: p.broadcastId, alertId: p.alertId, drill: p.drill, state: p.state }, mine, () =>
        countOf(view),
      );
    }
  }

  /** An alert goes to the alert watchers who see it: one of its areas inside their scopes, or theirs inside its (as GET /api/alerts/:id). */
  private routeAlert(change: AlertChange): void {
    for (const c of this.alertWatch) {
      const sees =
        isUnrestricted(c.user) ||
        change.areaCodes.some((a) => c.user.scopes.some((s) => isWithinArea(a, s) || isWithinArea(s, a)));
      if (sees) c.feed.alert(change.alert);
    }
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

  private routeTerminal(status: Parameters<LiveFeed['terminal']>[0], at: number, rateChanged: boolean): void {
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

  private routeGateway(status: Parameters<LiveFeed['gateway']>[0]): void {
    for (const p of this.prefixesOf(status.areaCode).prefixes) {
      const watchers = this.regions.get(p);
      if (watchers) for (const c of watchers) c.feed.gateway(status);
    }
    const direct = this.gatewayWatch.get(status.gatewayId);
    if (direct) for (const c of direct) c.feed.gateway(status);
  }

  private routeAlarm(e: PublishedAlarmEvent): void {
    for (const [c, subs] of this.alarmWatch) {
      for (const prefixes of subs.values()) {
        if (prefixes === null || prefixes.some((p) => e.alarm.areaCode.startsWith(p))) {
          c.feed.alarm(e);
          break;
        }
      }
    }
  }
}
