/**
 * Who watches what on the live channel, and routing of every change to exactly those watchers. Terminal changes come
 * from monitoring, gateway changes from monitoring, alarm events from the alarms service; each is looked up in the
 * indexes (region prefix, terminal, gateway, alarms) and folded into the outboxes (LiveFeed) of the clients whose
 * subscription — already narrowed to their area scopes — covers it. A client never gets anything outside its scopes.
 * With DALABA_REDIS_URL, the other instances' changes arrive too (live-fanout.ts) and are routed by the same code.
 * In a cluster, snapshots and rates cover the buses other instances drive (monitoring-snapshots.ts).
 */
import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { areaPrefix } from '../../firmware-protocols/codes';
import type { AuthUser } from '../auth/auth-user';
import { isUnrestricted, visibleSubtrees } from '../auth/scope';
import { isWithinArea } from '../../firmware-protocols/codes';
import { AlarmsService, type PublishedAlarmEvent } from '../monitoring/alarms.service';
import { MonitoringService } from '../monitoring/monitoring.service';
import { SharedMonitoring } from '../monitoring/shared-monitoring';
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
import type { LiveBroadcast } from './live-payload';
import { MonitoringRoutes } from './monitoring-routes';
import { MonitoringSnapshots } from './monitoring-snapshots';
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
  /** Clients watching regions, terminals and gateways. */
  private readonly routes = new MonitoringRoutes<LiveClient>();
  /** Alarm watchers with the area prefixes they see (null: everything). */
  private readonly alarmWatch = new Map<LiveClient, Map<string, string[] | null>>();
  private readonly broadcastWatch = new Map<string, Set<LiveClient>>();
  /** Clients following the alerts list (every alert reaching into their scopes). */
  private readonly alertWatch = new Set<LiveClient>();
  /** Clients following the relay and self-test results, and those routed to them. */
  private readonly relayFeed = new RelayFeed();
  /** Clients following tone provisioning or an audio job. */
  private readonly progress: ProgressFeed;
  private readonly streams: Subscription[] = [];
  private readonly snapshots: MonitoringSnapshots;
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
    private readonly shared: SharedMonitoring,
  ) {
    this.timers = feedTimers(clock);
    this.progress = new ProgressFeed(provisioning, audioJobs);
    this.snapshots = new MonitoringSnapshots(monitoring, shared, terminals);
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
      // in a cluster: the rates moved by what the other instances publish
      this.shared.rateChanges.subscribe((codes) => this.routes.rates(codes)),
      this.provisioning.changes.pipe(auditTime(TONES_EVERY_MS)).subscribe(() => this.progress.routeTones()),
      this.audioJobs.updates$.subscribe((job) => this.progress.routeAudioJob(job)),
    );
  }

  /**
   * One change to the clients who see it. A terminal change of another instance does not send rates from here: the
   * rates it moves come once that instance has published its bus (SharedMonitoring.rateChanges).
   */
  private route(input: LiveInput, remote: boolean): void {
    switch (input.kind) {
      case 'terminal':
        return this.routes.terminal(input.status, input.at, input.rateChanged && !remote);
      case 'gateway':
        return this.routes.gateway(input.status);
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

  private async subscribeRegion(c: LiveClient, key: string, areaCode: string): Promise<SubscribeReply> {
    const visible = visibleSubtrees(c.user, areaCode) ?? [areaCode];
    if (visible.length === 0) return fail('forbidden_area', `area ${areaCode} is outside your area scope`);
    const prefixes = visible.map((code) => areaPrefix(code));
    c.subscriptions.set(key, this.routes.watchRegion(prefixes, c));
    const snapshot = await this.snapshots.region(visible, prefixes);
    return { ok: true, subscription: { kind: 'region', id: areaCode }, snapshot };
  }

  private async subscribeTerminal(c: LiveClient, key: string, terminalId: number): Promise<SubscribeReply> {
    const snapshot = await this.snapshots.terminal(c.user, terminalId);
    if ('code' in snapshot) return fail(snapshot.code, snapshot.message);
    c.subscriptions.set(key, this.routes.watchTerminal(terminalId, c));
    return { ok: true, subscription: { kind: 'terminal', id: terminalId }, snapshot };
  }

  private async subscribeGateway(c: LiveClient, key: string, gatewayId: number): Promise<SubscribeReply> {
    const snapshot = await this.snapshots.gatewayWithTerminals(c.user, gatewayId);
    if ('code' in snapshot) return fail(snapshot.code, snapshot.message);
    c.subscriptions.set(key, this.routes.watchGateway(gatewayId, c));
    return { ok: true, subscription: { kind: 'gateway', id: gatewayId }, snapshot };
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
