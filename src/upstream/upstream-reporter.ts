/**
 * Reports up to the EBD senders, each queued in the outbox: EBMStateResponse for the alerts they sent (waiting when
 * held for review, playing when the broadcast starts, then succeeded / failed / cancelled with the coverage of the
 * broadcast report), EBMBrdLog and EBRDTState when an OMDRequest asks, ConnectionCheck heartbeats and terminal status
 * with the online rate on a timer.
 *
 * In a cluster the timed reports (heartbeats, terminal status) are a singleton (`singleton:upstream-reports`,
 * docs/cluster.md "Singletons"): only its holder queues them, so the province hears one heartbeat per period from the
 * county, not one per instance. State reports follow the broadcasts each instance runs (dispatch's progress). The
 * terminal status report covers the whole cluster: the terminals of the buses other instances drive are reported as
 * those instances publish them, and the online rate is the cluster's (src/monitoring/shared-monitoring.ts).
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import {
  BRD_STATE_CODES,
  BRD_STATE_DESCRIPTIONS,
  type BrdStateCode,
  type EbmBrdLogEntry,
} from '../../firmware-protocols/ebd';
import { SYSTEM_ACTOR } from '../auth/auth-user';
import { LeaseManager } from '../cluster/lease-manager';
import { SingletonLease } from '../cluster/singleton-lease';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import type { BroadcastState } from '../dispatch/broadcast-lifecycle';
import { BroadcastReportsService } from '../dispatch/broadcast-reports.service';
import { DispatchService, type BroadcastProgress } from '../dispatch/dispatch.service';
import { MonitoringService } from '../monitoring/monitoring.service';
import { SharedMonitoring } from '../monitoring/shared-monitoring';
import { UpstreamOutbox } from './upstream-outbox';
import type { UpstreamSenderEntity } from './upstream.entities';
import { UpstreamRepository } from './upstream.repository';

const STATE_OF_BROADCAST: Readonly<Record<BroadcastState, BrdStateCode>> = {
  planned: BRD_STATE_CODES.waiting,
  running: BRD_STATE_CODES.playing,
  completed: BRD_STATE_CODES.succeeded,
  partial: BRD_STATE_CODES.succeeded,
  failed: BRD_STATE_CODES.failed,
  cancelled: BRD_STATE_CODES.cancelled,
};

@Injectable()
export class UpstreamReporter implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('UpstreamReporter');
  private readonly timers: NodeJS.Timeout[] = [];
  private subscription: Subscription | null = null;
  /** `<broadcastId>:<code>` already reported (each state once). */
  private readonly reported = new Set<string>();
  /** The timed reports' lease; registered only when a timer is on. */
  private timed: SingletonLease | null = null;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: UpstreamRepository,
    private readonly outbox: UpstreamOutbox,
    private readonly dispatch: DispatchService,
    private readonly reports: BroadcastReportsService,
    private readonly monitoring: MonitoringService,
    private readonly clock: Clock,
    private readonly leases: LeaseManager,
    private readonly shared: SharedMonitoring,
  ) {}

  onApplicationBootstrap(): void {
    this.subscription = this.dispatch.progress.subscribe((p) => {
      this.onProgress(p).catch((e: unknown) =>
        this.log.error(`state report for ${p.broadcastId} not queued: ${(e as Error).message}`),
      );
    });
    const every = (ms: number, f: () => Promise<unknown>): void => {
      if (ms <= 0) return;
      const timed = (this.timed ??= new SingletonLease(this.leases, 'upstream-reports'));
      const t = setInterval(() => {
        if (timed.holds()) void f().catch((e: unknown) => this.log.warn((e as Error).message));
      }, ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.config.upstream.heartbeatMs, () => this.heartbeat());
    every(this.config.upstream.statusReportMs, async () => {
      for (const s of await this.ebdSenders()) await this.sendTerminalState(s);
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
    for (const t of this.timers) clearInterval(t);
  }

  /** An upstream alert held for review: the sender hears it waits (BrdStateCode 1). */
  async reportWaiting(alertId: number | null, sender: UpstreamSenderEntity): Promise<void> {
    if (alertId === null) return;
    const alert = await this.repo.alert(alertId);
    if (!alert?.upstreamId) return;
    await this.outbox.enqueue(
      sender,
      {
        type: 'EBMStateResponse',
        state: {
          reportTime: this.clock.date(),
          ebmId: alert.upstreamId,
          brdStateCode: BRD_STATE_CODES.waiting,
          brdStateDesc: '等待本级审核',
          coverage: { rate: 0, played: 0, targeted: 0, areaCodes: alert.targets.areaCodes },
        },
      },
      { alertRef: alert.upstreamId },
    );
  }

  private async onProgress(p: BroadcastProgress): Promise<void> {
    // a progress without delivery changes marks an outcome or a cancel: the row has the broadcast's state then
    const state = p.changes.length === 0 ? ((await this.repo.broadcastState(p.broadcastId)) ?? p.state) : p.state;
    const code = STATE_OF_BROADCAST[state];
    const key = `${p.broadcastId}:${code}`;
    if (code === BRD_STATE_CODES.waiting || this.reported.has(key)) return;
    this.reported.add(key);
    const alert = await this.repo.alert(p.alertId);
    if (!alert || alert.source !== 'ebd' || !alert.upstreamId) return;
    const sender = await this.senderOfAlert(alert.id);
    if (!sender) return;
    const detail = await this.reports.detail(SYSTEM_ACTOR, p.broadcastId);
    await this.outbox.enqueue(
      sender,
      {
        type: 'EBMStateResponse',
        state: {
          reportTime: this.clock.date(),
          ebmId: alert.upstreamId,
          brdStateCode: code,
          brdStateDesc: `${BRD_STATE_DESCRIPTIONS[code]} ${detail.coverage.played}/${detail.coverage.targeted}`,
          coverage: {
            rate: detail.coverage.rate,
            played: detail.coverage.played,
            targeted: detail.coverage.targeted,
            areaCodes: alert.targets.areaCodes,
          },
        },
      },
      { alertRef: alert.upstreamId },
    );
  }

  async sendBrdLog(sender: UpstreamSenderEntity, from: Date, to: Date): Promise<void> {
    const entries: EbmBrdLogEntry[] = [];
    for (const b of await this.repo.broadcastsBetween(from, to)) {
      const d = await this.reports.detail(SYSTEM_ACTOR, b.broadcastId);
      entries.push({
        ebmId: b.broadcastId,
        title: b.title,
        eventType: b.eventType,
        severity: b.severity,
        startTime: b.startAt,
        endTime: b.endAt,
        brdStateCode: STATE_OF_BROADCAST[b.state],
        coverage: { played: d.coverage.played, targeted: d.coverage.targeted },
      });
    }
    await this.outbox.enqueue(sender, { type: 'EBMBrdLog', log: { from, to, entries } }, { maxAttempts: 10 });
  }

  async sendTerminalState(sender: UpstreamSenderEntity): Promise<void> {
    const county = this.config.platformResourceCode.slice(1, 13);
    const entries = (await this.repo.terminals()).map((t) => {
      const online = this.monitoring.terminal(t.id)?.online ?? this.shared.online(t.id);
      return { ebrId: t.resourceCode, name: t.name, areaCode: t.areaCode, state: online ? 1 : 2 };
    });
    const rate = this.monitoring.onlineRate(county);
    await this.outbox.enqueue(
      sender,
      {
        type: 'EBRDTState',
        terminals: { reportTime: this.clock.date(), onlineRate: (rate.ratePercent ?? 0) / 100, entries },
      },
      { maxAttempts: 5 },
    );
  }

  /** ConnectionCheck to every enabled EBD sender with a URL. */
  async heartbeat(): Promise<void> {
    for (const s of await this.ebdSenders())
      await this.outbox.enqueue(s, { type: 'ConnectionCheck', check: { time: this.clock.date() } }, { maxAttempts: 2 });
  }

  private async ebdSenders(): Promise<UpstreamSenderEntity[]> {
    return (await this.repo.senders()).filter((s) => s.kind === 'ebd' && s.enabled && s.url);
  }

  private async senderOfAlert(alertId: number): Promise<UpstreamSenderEntity | null> {
    const m = (await this.repo.messagesOfAlert(alertId)).find((x) => x.senderId !== null);
    return m?.senderId ? this.repo.sender(m.senderId) : null;
  }
}
