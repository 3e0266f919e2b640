/**
 * The relay planner (docs/relay.md, "Planner"): puts the published schedules on air. Each slot of the day view becomes
 * a broadcast of class daily at the programme's priority, with a delivery per terminal, planned and launched a little
 * ahead of its start (longer for a playlist, whose clips are stored first) so that the dispatch engine sends every bus
 * a play with the slot's start second and end time; at the end a stop goes out as a backstop. A published edit takes
 * effect at once: a slot not started yet is planned again, a slot that plays and was shortened stops at its new end, a
 * slot removed stops now. Time is the injected Clock; the planner wakes at least every second.
 *
 * In a cluster the planner is a singleton (`singleton:relay-planner`, docs/cluster.md "Singletons"): only its holder
 * passes. Every write of a slot run is a transaction fenced by the lease, and a launch reads the slot's row inside it:
 * a slot on air already (launched by the previous holder) is followed, not planned again. An instance that gains the
 * lease takes the slots on air up from the database before its first pass; one that loses it stops at once and lets
 * them go.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { composeBroadcastId, shanghaiDate } from '../../../firmware-protocols/codes';
import { AlertsRepository } from '../../alerts/alerts.repository';
import { SYSTEM_ACTOR } from '../../auth/auth-user';
import { LeaseManager } from '../../cluster/lease-manager';
import { StaleLeaseError } from '../../cluster/lease-fence';
import { SingletonLease } from '../../cluster/singleton-lease';
import { Clock, type TimerHandle } from '../../common/clock';
import type { AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { Transactions, type Tx } from '../../database/transactions';
import { DispatchService } from '../../dispatch/dispatch.service';
import { DayPlanService, type TerminalDay } from '../day-plan.service';
import { dayNumber, dayOf, shanghaiDay } from '../recurrence';
import type { PublishedRevision } from '../relay.entities';
import { RelayRepository } from '../relay.repository';
import { RelayChanges } from '../relay-view';
import { AsRunRecorder } from './as-run-recorder';
import { differs, slotKey, slotOrder, slotsOf, type RelaySlot } from './slot-plan';
import { SlotRunEntity } from './slot-run.entity';
import { SlotRunRepository } from './slot-run.repository';

/** How long before its start a slot of a live source is planned and launched (the engine sends the play nearer). */
export const LIVE_LEAD_MS = 30_000;
/** … and a playlist's, whose clips are transferred to the terminals first. */
export const PLAYLIST_LEAD_MS = 10 * 60_000;
/** Why a slot put on air after its planned start started late (the as-run log's interruption). */
export const LATE_LAUNCH_CAUSE =
  'late start: put on air after its planned start (controller not running, or published after it)';
/** The day view is read again at least this often (and at once when a schedule changes). */
const REREAD_MS = 30_000;
const TICK_MS = 1000;

@Injectable()
export class RelayPlanner implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('RelayPlanner');
  /** Slots on air (launched, not ended), by slot key. */
  private readonly onAir = new Map<string, SlotRunEntity>();
  private cache: { at: number; slots: RelaySlot[] } | null = null;
  private timer: TimerHandle | null = null;
  private chain: Promise<void> = Promise.resolve();
  private sub: Subscription | null = null;
  private watch: Subscription | null = null;
  private stopped = true;
  /** Runs the planner once in the cluster; null while the planner does not run here (no field). */
  private lease: SingletonLease | null = null;
  /** Whether the slots on air were read from the database since this instance (last) gained the lease. */
  private adopted = false;
  /** Called after every pass (the watch's sweep; tests). */
  readonly afterPass: ((now: number) => Promise<void> | void)[] = [];

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly days: DayPlanService,
    private readonly relay: RelayRepository,
    private readonly runs: SlotRunRepository,
    private readonly registry: AlertsRepository,
    private readonly transactions: Transactions,
    private readonly dispatch: DispatchService,
    private readonly recorder: AsRunRecorder,
    private readonly changes: RelayChanges,
    private readonly leases: LeaseManager,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // without the field nothing can go on air (a server run for its API alone, most test suites)
    if (!this.config.field.enabled) return;
    this.stopped = false;
    const lease = new SingletonLease(this.leases, 'relay-planner');
    this.lease = lease;
    this.watch = lease.watch({ gained: () => void this.passSoon(), lost: () => this.letGo() });
    if (lease.holds()) await this.adopt();
    this.sub = this.changes.stream.subscribe((c) => {
      if (c.kind !== 'schedule') return;
      this.cache = null;
      void this.passSoon();
    });
    void this.passSoon();
  }

  /** The slots on air, from the database: at start, and when this instance takes the planner over. */
  private async adopt(): Promise<void> {
    this.adopted = true;
    this.onAir.clear();
    const onAir = await this.relay.onAir();
    const programmes = new Map(onAir.map((s) => [s.id, s.published?.programme]));
    for (const run of await this.runs.launched()) await this.follow(run, programmes.get(run.scheduleId));
  }

  private async follow(run: SlotRunEntity, programme: PublishedRevision['programme'] | undefined): Promise<void> {
    const before = programme ? await this.runs.deliveryStates(run.broadcastId) : null;
    if (!this.holds()) return; // lost meanwhile: the next holder follows it
    this.onAir.set(slotKey(run.scheduleId, run.plannedStart), run);
    if (programme && before) this.recorder.track(run, programme, before);
  }

  /** The lease was lost (synchronously in the event): nothing more is started; the next holder follows the slots. */
  private letGo(): void {
    this.adopted = false;
    this.cache = null;
    for (const run of this.onAir.values()) this.recorder.forget(run.broadcastId);
    this.onAir.clear();
  }

  private holds(): boolean {
    return !this.stopped && (this.lease?.holds() ?? false);
  }

  onModuleDestroy(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.sub?.unsubscribe();
    this.watch?.unsubscribe();
  }

  /** Resolves after a pass that begins now (tests: a published edit has been applied). */
  pass(): Promise<void> {
    this.cache = null;
    return this.passSoon();
  }

  private passSoon(): Promise<void> {
    this.timer?.cancel();
    this.timer = null;
    const run = this.chain.then(() => this.once());
    this.chain = run.catch((e: unknown) => this.log.error(`relay pass failed: ${(e as Error).stack ?? String(e)}`));
    void this.chain.then(() => this.schedule());
    return this.chain;
  }

  private schedule(): void {
    if (this.stopped || this.timer) return;
    const now = this.clock.now();
    const ends = [...this.onAir.values()].map((r) => r.plannedEnd.getTime() - now);
    const wait = Math.max(0, Math.min(TICK_MS, ...ends.filter((ms) => ms >= 0)));
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.passSoon();
    }, wait);
  }

  /** One pass: end what is due, apply edits to what is on air, launch what starts soon. */
  private async once(): Promise<void> {
    if (!this.holds()) return;
    if (!this.adopted) await this.adopt();
    const now = this.clock.now();
    const slots = await this.upcoming(now);
    const byKey = new Map(slots.map((s) => [s.key, s]));
    for (const [key, run] of [...this.onAir]) {
      if (!this.holds()) return;
      const slot = byKey.get(key);
      if (now >= run.plannedEnd.getTime()) await this.end(key, run, run.plannedEnd, null);
      else if (!slot) await this.end(key, run, new Date(now), 'removed from the published schedule');
      else if (slot.end < run.plannedEnd) await this.shorten(run, slot.end);
      else if (slot.end > run.plannedEnd && now >= run.plannedStart.getTime() - this.config.dispatch.startLeadMs)
        await this.lengthen(run, slot.end);
      else if (
        now < run.plannedStart.getTime() - this.config.dispatch.startLeadMs &&
        differs(slot, { revision: run.revision, end: run.plannedEnd, terminalIds: run.terminalIds })
      )
        await this.end(key, run, new Date(now), 'planned again after an edit');
    }
    for (const slot of slots) {
      if (!this.holds()) return;
      if (this.onAir.has(slot.key) || slot.end.getTime() - now < TICK_MS) continue;
      if (slot.start.getTime() - now > this.leadOf(slot)) continue;
      await this.launch(slot, now);
    }
    for (const f of this.afterPass) await f(now);
  }

  private leadOf(slot: RelaySlot): number {
    return slot.programme.source.kind === 'playlist' ? PLAYLIST_LEAD_MS : LIVE_LEAD_MS;
  }

  /** The slots of the days the lead reaches into, from the day view (read again after REREAD_MS or an edit). */
  private async upcoming(now: number): Promise<RelaySlot[]> {
    if (this.cache && now - this.cache.at < REREAD_MS) return this.cache.slots;
    const first = shanghaiDay(new Date(now));
    const last = shanghaiDay(new Date(now + PLAYLIST_LEAD_MS));
    const days: { terminals: TerminalDay[] }[] = [];
    for (let d = dayNumber(first); d <= dayNumber(last); d++)
      days.push(await this.days.day({ date: dayOf(d) }, SYSTEM_ACTOR));
    const revisions = new Map<number, { published: PublishedRevision; publishedById: number }>();
    for (const s of await this.relay.onAir())
      if (s.published) revisions.set(s.id, { published: s.published, publishedById: s.publishedById ?? 0 });
    const slots = slotsOf(days, revisions);
    this.cache = { at: now, slots };
    return slots;
  }

  /**
   * The slot's broadcast and its row, in one transaction fenced by the planner's lease; then the engine runs it. The
   * row is read inside it: a slot ended before is not played twice, one on air already (put there by the previous
   * holder of the lease) is followed, not planned again.
   */
  private async launch(slot: RelaySlot, now: number): Promise<void> {
    const sender = this.config.platformResourceCode;
    const at = new Date(now);
    const done = await this.fenced(async (tx) => {
      const existing = await this.runs.find(slot.scheduleId, slot.start, tx);
      if (existing?.state === 'ended') return null;
      if (existing?.state === 'launched') return { run: existing, planned: false };
      const seq = await this.registry.nextSequence(tx, sender, shanghaiDate(at));
      const broadcastId = composeBroadcastId(sender, at, seq);
      await this.dispatch.plan(slotOrder(slot, broadcastId), tx);
      const row = Object.assign(existing ?? new SlotRunEntity(), {
        scheduleId: slot.scheduleId,
        revision: slot.revision,
        plannedStart: slot.start,
        plannedEnd: slot.end,
        broadcastId,
        state: 'launched',
        terminalIds: slot.terminalIds,
        createdAt: existing?.createdAt ?? at,
        updatedAt: at,
      } satisfies Omit<SlotRunEntity, 'id'>);
      return { run: await this.runs.save(row, tx), planned: true };
    });
    if (!done) return;
    if (!done.planned) return this.follow(done.run, slot.programme);
    const { run } = done;
    this.onAir.set(slot.key, run);
    const tracked = this.recorder.track(run, slot.programme);
    // put on air after its start (the server was down, or started late): it starts now for what remains, and the
    // as-run log says why it started late
    if (now > slot.start.getTime()) this.recorder.launchedLate(tracked, LATE_LAUNCH_CAUSE);
    this.dispatch.launch(run.broadcastId);
  }

  /** `work` in a transaction that first checks the planner's lease; null (nothing written) once it was lost. */
  private async fenced<T>(work: (tx: Tx) => Promise<T>): Promise<T | null> {
    try {
      return await this.transactions.run(async (tx) => {
        await this.lease?.fence(tx);
        return work(tx);
      });
    } catch (e) {
      if (!(e instanceof StaleLeaseError)) throw e;
      this.log.warn(`relay planner: ${e.message}; the next holder carries on`);
      return null;
    }
  }

  private async save(run: SlotRunEntity): Promise<void> {
    await this.fenced((tx) => this.runs.save(run, tx));
  }

  /**
   * The slot is over at `at`: at its end, a stop goes out as a backstop of the play's own end time; before it (removed,
   * or to be planned again) the broadcast is cancelled, which stops every terminal it reached.
   */
  private async end(key: string, run: SlotRunEntity, at: Date, reason: string | null): Promise<void> {
    this.onAir.delete(key);
    try {
      // every holder's buses, in a cluster (docs/cluster.md, "Requests for the other holders")
      if (reason === null) await this.dispatch.stopEverywhere(run.broadcastId);
      else await this.dispatch.cancelBroadcast(run.broadcastId, 0);
    } catch (e) {
      this.log.warn(`slot ${key}: stop not sent: ${(e as Error).message}`);
    }
    await this.recorder.finish(run.broadcastId, at, reason);
    run.state = reason === null ? 'ended' : 'cancelled';
    run.updatedAt = this.clock.date();
    await this.save(run);
  }

  /**
   * A slot that plays (or whose start has gone out) now ends later: the engine's window moves and the terminals playing
   * are sent the play again with the new end; the stop goes out then.
   */
  private async lengthen(run: SlotRunEntity, end: Date): Promise<void> {
    run.plannedEnd = end;
    run.updatedAt = this.clock.date();
    await this.save(run);
    await this.dispatch.lengthen(run.broadcastId, end);
  }

  /** A slot that plays now ends earlier: the engine's window is cut, and the stop goes out at the new end. */
  private async shorten(run: SlotRunEntity, end: Date): Promise<void> {
    await this.dispatch.shorten(run.broadcastId, end);
    run.plannedEnd = end;
    run.updatedAt = this.clock.date();
    await this.save(run);
  }
}
