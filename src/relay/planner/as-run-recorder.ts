/**
 * What each terminal did of a slot on air, from the dispatch engine's delivery changes into the as-run log
 * (as-run.service.ts): started (at the synchronised start when it armed for it, else when it was verified playing),
 * cut by a stronger broadcast and back (an interruption naming the alert), ended, or never started and why. The
 * watch (src/relay/watch) reads which terminals play a slot now from here.
 */
import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { Clock } from '../../common/clock';
import { DispatchService, type BroadcastProgress } from '../../dispatch/dispatch.service';
import { AsRunService, type AsRunSlot } from '../as-run.service';
import type { PublishedRevision } from '../relay.entities';
import { reportedSource } from './slot-plan';
import type { SlotRunEntity } from './slot-run.entity';
import { SlotRunRepository } from './slot-run.repository';

/** A verification this long after the synchronised start still counts as a start on it (the read follows the start). */
const ON_START_MS = 1000;

export interface TerminalOnAir {
  state: 'waiting' | 'playing' | 'preempted' | 'ended';
  /** When it last changed state (ms). */
  since: number;
  /** When sound started (ms), once it has. */
  startedAt: number | null;
  /** The open interruption's cause and start. */
  cut: { cause: string; from: Date } | null;
  /** The source it plays (the fallback's once the watch switched it). */
  source: string;
}

export interface TrackedSlot {
  run: SlotRunEntity;
  programme: PublishedRevision['programme'];
  terminals: Map<number, TerminalOnAir>;
}

@Injectable()
export class AsRunRecorder implements OnModuleInit, OnModuleDestroy {
  private readonly log = new Logger('RelayAsRun');
  private readonly slots = new Map<string, TrackedSlot>();
  private chain: Promise<void> = Promise.resolve();
  private sub: Subscription | null = null;

  constructor(
    private readonly dispatch: DispatchService,
    private readonly asRun: AsRunService,
    private readonly repo: SlotRunRepository,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.sub = this.dispatch.progress.subscribe((p) => {
      const slot = this.slots.get(p.broadcastId);
      if (slot) this.queue(() => this.apply(slot, p));
    });
  }

  onModuleDestroy(): void {
    this.sub?.unsubscribe();
  }

  /**
   * Follows a slot's broadcast from now on. `before`: the delivery states of a slot followed again after a restart (its
   * starts are in the log already).
   */
  track(
    run: SlotRunEntity,
    programme: PublishedRevision['programme'],
    before: ReadonlyMap<number, string> = new Map(),
  ): TrackedSlot {
    const source = reportedSource(programme.source);
    const now = this.clock.now();
    const stateOf = (id: number): TerminalOnAir['state'] => {
      const b = before.get(id);
      return b === 'playing' || b === 'played' ? 'playing' : b === 'preempted' ? 'preempted' : 'waiting';
    };
    const terminals = new Map(
      run.terminalIds.map((id): [number, TerminalOnAir] => {
        const state = stateOf(id);
        const startedAt = state === 'waiting' ? null : run.plannedStart.getTime();
        return [id, { state, since: now, startedAt, cut: null, source }];
      }),
    );
    const slot = { run, programme, terminals };
    this.slots.set(run.broadcastId, slot);
    return slot;
  }

  /** Stops following a slot's broadcast here (the planner's lease moved: its new holder follows it). */
  forget(broadcastId: string): void {
    this.slots.delete(broadcastId);
  }

  tracked(): Iterable<TrackedSlot> {
    return this.slots.values();
  }

  /** Resolves when every write queued so far is done (tests, and the planner before it lets a slot go). */
  settled(): Promise<void> {
    return this.chain;
  }

  /** Something other than the engine cut into a terminal's slot (the watch), from `from` until `to` (null: open). */
  interrupted(slot: TrackedSlot, terminalId: number, cause: string, from: Date, to: Date | null): void {
    this.queue(() =>
      this.asRun.recordInterruption(this.slotOf(slot, terminalId), cause, from, to).then(() => undefined),
    );
  }

  /**
   * The slot went on air after its planned start (the controller was not running then): on every terminal, what kept
   * it off air until it starts is that, an interruption from the planned start closed when it plays.
   */
  launchedLate(slot: TrackedSlot, cause: string): void {
    for (const [id, t] of slot.terminals) {
      if (t.startedAt !== null || t.cut) continue;
      t.cut = { cause: cause.slice(0, 200), from: slot.run.plannedStart };
      const s = this.slotOf(slot, id);
      this.queue(() =>
        this.asRun.recordInterruption(s, cause.slice(0, 200), slot.run.plannedStart, null).then(() => undefined),
      );
    }
  }

  /** The terminal plays another source now (the watch's fallback). */
  switched(slot: TrackedSlot, terminalId: number, source: string): void {
    const t = slot.terminals.get(terminalId);
    if (!t) return;
    t.source = source;
    t.since = this.clock.now();
    const at = new Date(t.startedAt ?? this.clock.now());
    this.queue(() => this.asRun.recordStart(this.slotOf(slot, terminalId), at, source).then(() => undefined));
  }

  /**
   * The slot is over on every terminal at `at` (its end, or now when it was removed): plays end, open interruptions
   * close, and a terminal that never started is logged as such. `reason` names a stop before the planned end.
   */
  finish(broadcastId: string, at: Date, reason: string | null): Promise<void> {
    const slot = this.slots.get(broadcastId);
    if (!slot) return this.chain;
    this.slots.delete(broadcastId);
    this.queue(async () => {
      for (const [id, t] of slot.terminals) {
        const s = this.slotOf(slot, id);
        if (t.cut) await this.asRun.recordInterruption(s, t.cut.cause, t.cut.from, at);
        if (t.state === 'playing') await this.asRun.recordEnd(s, at);
        else if (t.state === 'preempted' && t.cut) await this.asRun.recordEnd(s, t.cut.from);
        if (reason && t.startedAt !== null && at < slot.run.plannedEnd)
          await this.asRun.recordInterruption(s, reason, at, slot.run.plannedEnd);
        // a slot removed before its start leaves no row
        if (t.startedAt === null && !t.cut && at > slot.run.plannedStart)
          await this.asRun.recordInterruption(s, reason ?? 'not started', slot.run.plannedStart, at);
        t.state = 'ended';
      }
    });
    return this.chain;
  }

  private queue(step: () => Promise<void>): void {
    this.chain = this.chain.then(step).catch((e: unknown) => this.log.error(`as-run not written: ${String(e)}`));
  }

  private slotOf(slot: TrackedSlot, terminalId: number): AsRunSlot {
    return {
      terminalId,
      scheduleId: slot.run.scheduleId,
      plannedStart: slot.run.plannedStart,
      plannedEnd: slot.run.plannedEnd,
    };
  }

  private async apply(slot: TrackedSlot, p: BroadcastProgress): Promise<void> {
    const now = this.clock.now();
    for (const c of p.changes) {
      const t = slot.terminals.get(c.terminalId);
      if (!t || t.state === 'ended') continue;
      const s = this.slotOf(slot, c.terminalId);
      if (c.state === 'playing') {
        // back after a preemption, or started after all (a retry, a late start): what kept it off air ends when it
        // sounds — now, or the synchronised start it armed for
        const at = t.startedAt === null ? this.startOf(p.broadcastId, c.terminalId, now) : now;
        if (t.cut) {
          await this.asRun.recordInterruption(s, t.cut.cause, t.cut.from, new Date(at));
          t.cut = null;
        }
        if (t.startedAt === null) {
          t.startedAt = at;
          await this.asRun.recordStart(s, new Date(at), t.source);
        }
        Object.assign(t, { state: 'playing', since: now });
      } else if (c.state === 'preempted' && !(t.state === 'preempted' && t.cut)) {
        // told again while still cut (a retried start of the stronger broadcast): the open interruption stands
        const by = await this.repo.preemptor(c.terminalId, p.broadcastId);
        const cause = by
          ? `${by.alertId > 0 ? `alert ${by.alertId}` : 'relay'} (broadcast ${by.broadcastId})`
          : 'a stronger broadcast';
        t.cut = { cause: `preempted by ${cause}`.slice(0, 200), from: new Date(now) };
        await this.asRun.recordInterruption(s, t.cut.cause, t.cut.from, null);
        Object.assign(t, { state: 'preempted', since: now });
      } else if ((c.state === 'failed' || c.state === 'unreachable') && t.state === 'waiting' && !t.cut) {
        t.cut = { cause: `not started: ${c.reason ?? c.state}`.slice(0, 200), from: slot.run.plannedStart };
        await this.asRun.recordInterruption(s, t.cut.cause, t.cut.from, null);
      }
    }
  }

  /**
   * When a terminal verified playing at `verifiedAt` started: the synchronised start when its start went out before
   * it (it armed for it), else when that start went out (it played on receipt). A run no longer in memory (a restart)
   * knows neither: a read soon after the synchronised start counts as on it.
   */
  private startOf(broadcastId: string, terminalId: number, verifiedAt: number): number {
    const start = this.dispatch.startTimeOf(broadcastId);
    if (start === null) return verifiedAt;
    const sent = this.dispatch.startSentAt(broadcastId, terminalId);
    if (sent !== null) return sent < start ? start : Math.min(sent, verifiedAt);
    return verifiedAt <= start + ON_START_MS ? start : verifiedAt;
  }
}
