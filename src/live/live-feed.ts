/**
 * One client's outbox on the live channel. Changes are folded in as they happen — the latest state per terminal and
 * per gateway wins, so the outbox never holds more than one entry per thing in the client's scope — and sent as one
 * batch at most `maxBatchesPerSecond` times a second. A client whose connection is still busy with earlier batches
 * is skipped until it drains (its outbox keeps folding), so a slow client costs the others nothing.
 */
import type { AlertView } from '../alerts/alert-view';
import type { AudioJob } from '../audio/jobs/audio-jobs';
import type { LiveRelay } from './live-payload';
import type { SelfTestView } from '../selftest/self-test.service';
import type { PublishedAlarmEvent } from '../monitoring/alarms.service';
import type { GatewayStatus } from '../monitoring/monitoring.service';
import type { OnlineRate } from '../monitoring/online-rate';
import type { LiveStatus } from '../monitoring/status-store';
import { type LiveBroadcast, type LiveDelta, liveGateway, liveTerminal } from './live-payload';

/** A broadcast's pending update: its header, the latest change per terminal, and how to count what the client sees. */
interface PendingBroadcast {
  header: Omit<LiveBroadcast, 'counts' | 'changes'>;
  changes: Map<number, LiveBroadcast['changes'][number]>;
  counts: () => Record<string, number>;
}

/** Alarm events kept for a client that is behind; older ones are dropped (and counted). */
export const MAX_PENDING_ALARMS = 200;
/** How soon a client whose connection was busy is looked at again. */
export const RETRY_BUSY_MS = 50;

export interface FeedTimers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface FeedSink {
  /** False when the connection is still busy with earlier batches: try again later. */
  ready(): boolean;
  send(delta: LiveDelta): void;
}

/** The feeds' timers, on the server's clock. */
export function feedTimers(clock: { now(): number }): FeedTimers {
  return {
    now: () => clock.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  };
}

export class LiveFeed {
  private readonly terminals = new Map<number, { status: LiveStatus; at: number }>();
  private readonly gateways = new Map<number, GatewayStatus>();
  private readonly rates = new Set<string>();
  private alarms: PublishedAlarmEvent[] = [];
  private readonly broadcasts = new Map<string, PendingBroadcast>();
  private readonly alerts = new Map<number, AlertView>();
  private readonly provisioning = new Map<string, LiveDelta['provisioning'][number]>();
  private readonly audioJobs = new Map<string, AudioJob>();
  /** Relay changes, the latest per schedule, per as-run row and per programme. */
  private readonly relayChanges = new Map<string, LiveRelay>();
  /** Self-test results, each stored once. */
  private readonly selfTests = new Map<number, SelfTestView>();
  private alarmsDropped = 0;
  private timer: unknown = null;
  private lastSentAt = -Infinity;
  private seq = 0;
  private closed = false;
  private readonly periodMs: number;

  constructor(
    private readonly sink: FeedSink,
    private readonly timers: FeedTimers,
    private readonly rateOf: (areaCode: string) => OnlineRate,
    maxBatchesPerSecond = 4,
  ) {
    this.periodMs = 1000 / maxBatchesPerSecond;
  }

  /** Things waiting to be sent. */
  get size(): number {
    return (
      this.terminals.size +
      this.gateways.size +
      this.rates.size +
      this.alarms.length +
      this.broadcasts.size +
      this.alerts.size +
      this.provisioning.size +
      this.audioJobs.size +
      this.relayChanges.size +
      this.selfTests.size
    );
  }

  terminal(status: LiveStatus, at: number): void {
    this.terminals.set(status.terminalId, { status, at });
    this.schedule();
  }

  gateway(status: GatewayStatus): void {
    this.gateways.set(status.gatewayId, status);
    this.schedule();
  }

  rate(areaCode: string): void {
    this.rates.add(areaCode);
    this.schedule();
  }

  alarm(event: PublishedAlarmEvent): void {
    this.alarms.push(event);
    if (this.alarms.length > MAX_PENDING_ALARMS) {
      this.alarms.shift();
      this.alarmsDropped += 1;
    }
    this.schedule();
  }

  broadcast(
    header: PendingBroadcast['header'],
    changes: LiveBroadcast['changes'],
    counts: () => Record<string, number>,
  ): void {
    const pending = this.broadcasts.get(header.broadcastId) ?? { header, changes: new Map(), counts };
    pending.header = header;
    for (const c of changes) pending.changes.set(c.terminalId, c);
    this.broadcasts.set(header.broadcastId, pending);
    this.schedule();
  }

  tones(areaCode: string | null, view: LiveDelta['provisioning'][number]['view']): void {
    this.provisioning.set(areaCode ?? '*', { areaCode, view });
    this.schedule();
  }

  /** An audio job's latest state (its percent moves often: only the newest is kept). */
  audioJob(job: AudioJob): void {
    this.audioJobs.set(job.id, job);
    this.schedule();
  }

  relay(change: LiveRelay): void {
    const key =
      change.kind === 'schedule'
        ? `s${change.schedule.id}`
        : change.kind === 'asRun'
          ? `r${change.asRun.id}`
          : `p${change.programmeId}`;
    this.relayChanges.set(key, change);
    this.schedule();
  }

  selfTest(view: SelfTestView): void {
    this.selfTests.set(view.id, view);
    this.schedule();
  }

  alert(view: AlertView): void {
    this.alerts.set(view.id, view);
    this.schedule();
  }

  close(): void {
    this.closed = true;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.timer !== null || this.closed) return;
    const wait = Math.max(0, this.lastSentAt + this.periodMs - this.timers.now());
    this.timer = this.timers.setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    this.timer = null;
    if (this.closed || this.size === 0) return;
    if (!this.sink.ready()) {
      // still sending earlier batches: fold on, look again shortly
      this.timer = this.timers.setTimeout(() => this.flush(), RETRY_BUSY_MS);
      return;
    }
    const sentAt = this.timers.now();
    const delta: LiveDelta = {
      seq: ++this.seq,
      sentAt,
      terminals: [...this.terminals.values()].map((t) => liveTerminal(t.status, t.at)),
      gateways: [...this.gateways.values()].map(liveGateway),
      rates: [...this.rates].map((code) => this.rateOf(code)),
      alarms: this.alarms,
      broadcasts: [...this.broadcasts.values()].map((b) => ({
        ...b.header,
        counts: b.counts(),
        changes: [...b.changes.values()],
      })),
      alerts: [...this.alerts.values()],
      provisioning: [...this.provisioning.values()],
      audioJobs: [...this.audioJobs.values()],
      relay: [...this.relayChanges.values()],
      selfTests: [...this.selfTests.values()],
      alarmsDropped: this.alarmsDropped,
    };
    this.broadcasts.clear();
    this.alerts.clear();
    this.provisioning.clear();
    this.audioJobs.clear();
    this.relayChanges.clear();
    this.selfTests.clear();
    this.terminals.clear();
    this.gateways.clear();
    this.rates.clear();
    this.alarms = [];
    this.alarmsDropped = 0;
    this.lastSentAt = sentAt;
    this.sink.send(delta);
  }
}
