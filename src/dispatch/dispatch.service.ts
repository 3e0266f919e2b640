/**
 * The dispatch engine behind the Dispatcher contract: plan() writes the broadcast and one delivery per terminal in
 * the caller's transaction; launch() runs it (BroadcastRun) and reports the outcome to the alert; cancel() stops it
 * everywhere. At start every unfinished broadcast is continued from its rows. Progress is a stream for the live view.
 */
import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Subject, type Observable } from 'rxjs';
import { Clock } from '../common/clock';
import type { AlertEvent } from '../alerts/alert-lifecycle';
import { ValidationFailedError } from '../common/errors';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import type { Tx } from '../database/transactions';
import { busKey, LeaseManager } from '../cluster/lease-manager';
import { FieldCommands } from '../field/field-commands';
import { MonitoringService } from '../monitoring/monitoring.service';
import type { BroadcastEntity } from './broadcast.entities';
import { plannedBroadcast, plannedDelivery } from './planned-rows';
import { isFinalBroadcastState, outcomeOf, type BroadcastState } from './broadcast-lifecycle';
import { BroadcastRun, Halt, type PlayingNow, type RunContext } from './broadcast-run';
import type { RunView } from './run/run-context';
import { isBroadcasting } from './bus-plan';
import { stopOnBuses } from './broadcast-stops';
import { ClipVariants } from './clip-variants';
import { ToneProvisioning } from './tone-provisioning';
import type { StateCounts } from './delivery-lifecycle';
import { DeliveryLedger, type DeliveryChange, type DeliveryUpdate } from './delivery-ledger';
import { Dispatcher, type DispatchOrder, type PlannedBroadcast } from './dispatch-order';
import { DispatchClock } from './dispatch-clock';
import { advanceAlert, OUTCOME_EVENT } from './alert-advance';
import { dispatchPolicy } from './dispatch-policy';
import { DispatchRepository, OPEN_DELIVERY_STATES } from './dispatch.repository';
import { DispatchCluster } from './dispatch-cluster';
import { DispatchShards, type Shard } from './dispatch-shards';
import { fieldLink } from './field-link';
import { retryUnreachable } from './run/retry-unreachable';

export interface BroadcastProgress {
  broadcastId: string;
  alertId: number;
  drill: boolean;
  state: BroadcastState;
  counts: StateCounts;
  changes: { terminalId: number; areaCode: string; state: string; reason: string | null }[];
}

/** A batch of delivery states is tried this many times, this far apart (× the attempt), before it is given up. */
const FLUSH_ATTEMPTS = 3;
const FLUSH_RETRY_MS = 250;

@Injectable()
export class DispatchService extends Dispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log = new Logger('Dispatch');
  /** The runs of this instance: one per broadcast, or in a cluster one per broadcast and set of buses held. */
  readonly shards: DispatchShards;
  /** In a cluster: the passes that share the broadcasts among the instances. */
  readonly cluster: DispatchCluster;
  private readonly progressSubject = new Subject<BroadcastProgress>();
  private readonly clock: DispatchClock;
  private halting = false;
  private readonly ctx: RunContext;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly repo: DispatchRepository,
    private readonly field: FieldCommands,
    private readonly variants: ClipVariants,
    private readonly provisioning: ToneProvisioning,
    private readonly monitoring: MonitoringService,
    private readonly moduleRef: ModuleRef,
    serverClock: Clock,
    private readonly leases: LeaseManager,
  ) {
    super();
    this.clock = new DispatchClock(serverClock);
    this.shards = new DispatchShards(leases, repo);
    this.cluster = new DispatchCluster(this.shards, repo, field, leases, this.clock, config.dispatch.startLeadMs, {
      startShard: (id, buses) => this.startShard(id, buses),
      stopRun: (run, userId) => run.stop(userId),
      conclude: (b, run) => this.conclude(b, run),
      resize: (run, endAt) => run.moveEnd(endAt, this.log),
      stopOnBuses: (id) => this.stopOnBuses(id),
      status: (id) => this.monitoring.terminal(id),
      halted: () => this.halting,
    });
    this.ctx = {
      clock: this.clock,
      policy: dispatchPolicy(config.dispatch, field.signedBlockWindowMs),
      locate: (id) => this.field.locate(id),
      link: (g) => fieldLink(this.field, g),
      unitsOn: (g) => this.repo.enabledTerminalCounts(g),
      clipFor: (clip, ids) => this.variants.forTerminals(clip, ids),
      playingNow: (id, except) => this.playingNow(id, except),
      flush: (run, changes, updates) => this.flush(run, changes, updates),
      preempted: async (other, terminalId) => this.shards.runOf(other, terminalId)?.preemptedBy(terminalId),
      ended: async (other, terminalId) => {
        const run = this.shards.runOf(other, terminalId);
        const where = this.field.locate(terminalId);
        if (run && where) await run.resume(terminalId, run.ctx.link(where.gatewayId));
      },
      halted: () => this.halting,
      sequenceFloor: (sending) => this.field.sequenceFloor(sending),
      busSequenceFloor: (gatewayId) => this.field.busSequenceFloor(gatewayId),
      offline: (id) => this.monitoring.terminal(id)?.online === false,
      holds: (id, clipId) => this.provisioning.holds(id, clipId),
      lacks: (id, clipId) => this.provisioning.lacks(id, clipId),
      stored: (id, clipId) => this.provisioning.stored(id, clipId),
    };
  }

  /** Delivery changes of every broadcast as they are written (the live view publishes them per broadcast). */
  get progress(): Observable<BroadcastProgress> {
    return this.progressSubject.asObservable();
  }

  async plan(order: DispatchOrder, tx: Tx): Promise<PlannedBroadcast> {
    if (order.endAt.getTime() <= order.startAt.getTime())
      throw ValidationFailedError.field('endAt', 'endAt must be after startAt');
    const ids = [...new Set(order.terminalIds)];
    const terminals = new Map((await this.repo.terminals(ids, tx)).map((t) => [t.id, t]));
    const now = this.clock.date();
    const deliveries = ids.map((id) =>
      plannedDelivery(order.broadcastId, id, terminals.get(id), this.field.locate(id), now),
    );
    await this.repo.insertBroadcast(tx, plannedBroadcast(order, ids.length, now), deliveries);
    return { broadcastId: order.broadcastId, alertId: order.alertId, deliveries: deliveries.length };
  }

  launch(broadcastId: string): void {
    if (this.halting) return;
    // in a cluster each instance runs the deliveries of the buses it holds: its next pass starts them (at once here)
    if (this.shards.clustered) return this.cluster.soon();
    if (!this.shards.has(broadcastId)) this.startShard(broadcastId, null);
  }

  /** Runs the broadcast here: every delivery (`buses` null), or those of the buses given with their epochs. */
  startShard(broadcastId: string, buses: Map<number, number> | null): void {
    const shard: Shard = { broadcastId, buses, run: null, done: Promise.resolve() };
    this.shards.add(shard);
    shard.done = this.execute(shard)
      .catch((e: unknown) => this.log.error(`broadcast ${broadcastId}: ${(e as Error).stack ?? String(e)}`))
      .finally(() => this.shards.remove(shard));
  }

  /** Resolves when the broadcast's runs here have ended (tests and tools). */
  async settled(broadcastId: string): Promise<void> {
    await Promise.all(this.shards.shardsOf(broadcastId).map((s) => s.done));
  }

  onApplicationBootstrap(): Promise<void> {
    if (this.shards.clustered) {
      this.cluster.start();
      return Promise.resolve();
    }
    // FieldModule's own bootstrap (imported, so run before this one) has opened its buses
    return this.repo.broadcastsInState(['planned', 'running']).then((unfinished) => {
      for (const b of unfinished) this.launch(b.broadcastId);
      if (unfinished.length > 0) this.log.log(`continuing ${unfinished.length} unfinished broadcast(s)`);
    });
  }

  /** Stops every run where it stands (before the field closes its buses): what is written is where the next start continues. */
  onModuleDestroy(): void {
    this.halting = true;
    this.cluster.stop();
    this.clock.stop();
    for (const run of this.shards.runs()) run.interrupt();
    this.progressSubject.complete();
  }

  private async execute(shard: Shard): Promise<void> {
    const broadcastId = shard.broadcastId;
    const b = await this.repo.findBroadcast(broadcastId);
    if (!b || isFinalBroadcastState(b.state)) return;
    const rows = this.shards.rowsFor(shard, await this.repo.ledgerRows(broadcastId));
    // a shard reaches only its own buses (dispatch-shards.ts); not clustered, every bus
    const ctx = { ...this.ctx, link: (g: number) => this.shards.guard(shard, g, fieldLink(this.field, g)) };
    const run = new BroadcastRun(b, new DeliveryLedger(rows), ctx);
    this.shards.attach(shard, run);
    if (shard.buses && b.cancelRequestedAt) {
      // cancelled through another instance before this one ran these buses: stopped and settled here
      await run.stop(b.cancelledBy ?? 0);
      return this.conclude(b, run);
    }
    if (b.state === 'running' && b.endAt.getTime() > this.clock.now()) {
      // continued after a restart or a takeover: terminals that did not answer before get another chance inside the
      // window — read first where a start went out on their bus, which reached them too (run/retry-unreachable.ts)
      retryUnreachable(run.ledger);
    }
    if (b.state === 'planned') await this.begin(b);
    // the instances running a broadcast's buses start them on one second: the first began it, the others join
    if (shard.buses) b.startAt = new Date(Math.max(b.startAt.getTime(), this.cluster.sharedStart(b)));
    // tone provisioning gives way on the buses this run uses, until it ends
    const release = this.provisioning.hold(
      run.ledger.rows().flatMap((r) => this.field.locate(r.terminalId)?.gatewayId ?? []),
    );
    try {
      await run.run();
    } catch (e) {
      // a server shutting down closes the buses under a run: what fails then is left as it stands, for the next start
      if (e instanceof Halt || this.halting) return;
      const reason = `engine error: ${(e as Error).message}`.slice(0, 255);
      this.log.error(`broadcast ${broadcastId}: ${(e as Error).stack ?? String(e)}`);
      for (const r of run.ledger.inState('pending', 'transferring', 'ready')) run.ledger.move([r.id], 'failed', reason);
      await run.flush();
    } finally {
      release();
    }
    if (run.cancelled || this.halting) return;
    await this.conclude(b, run);
  }

  /** planned → running, once in the cluster; an instance that finds it begun takes the start time written. */
  private async begin(b: BroadcastEntity): Promise<void> {
    const startedAt = this.clock.date();
    if (await this.repo.moveBroadcast(b.broadcastId, ['planned'], { state: 'running', startedAt })) {
      Object.assign(b, { state: 'running', startedAt });
      if (!b.emergency) await this.advance(b.alertId, 'start');
      return;
    }
    const now = await this.repo.findBroadcast(b.broadcastId);
    Object.assign(b, { state: now?.state ?? 'running', startedAt: now?.startedAt ?? startedAt });
  }

  /**
   * The broadcast's outcome, once every delivery is settled. A single instance: from its run. In a cluster: from the
   * rows, by whichever instance finds none left open (a conditional write: told to the alert once).
   */
  async conclude(b: BroadcastEntity, run: BroadcastRun | null): Promise<void> {
    if (!this.shards.clustered && run) {
      const counts = run.ledger.counts();
      const outcome = outcomeOf(counts);
      b.state = outcome;
      await this.repo.write([], { broadcastId: b.broadcastId, set: { state: outcome, finishedAt: this.clock.date() } });
      this.emit(b, counts, []);
      return this.advance(b.alertId, OUTCOME_EVENT[outcome], `${counts.played}/${b.targeted} played`);
    }
    const counts = await this.repo.stateCounts(b.broadcastId);
    if (OPEN_DELIVERY_STATES.some((s) => counts[s] > 0)) return;
    const now = await this.repo.findBroadcast(b.broadcastId);
    const by = now?.cancelRequestedAt ? (now.cancelledBy ?? 0) : null;
    const outcome: BroadcastState = by === null ? outcomeOf(counts) : 'cancelled';
    const set = { state: outcome, finishedAt: this.clock.date() };
    if (!(await this.repo.moveBroadcast(b.broadcastId, ['planned', 'running'], set))) return;
    b.state = outcome;
    this.emit(b, counts, []);
    if (by !== null) await this.advance(b.alertId, 'cancel', `cancelled by user ${by}`);
    else await this.advance(b.alertId, OUTCOME_EVENT[outcomeOf(counts)], `${counts.played}/${b.targeted} played`);
  }

  async cancel(alertId: number, userId: number): Promise<void> {
    for (const b of (await this.repo.broadcastsOfAlert(alertId)).filter((x) => !isFinalBroadcastState(x.state)))
      await this.cancelOne(b, userId);
  }

  /** Stops one broadcast everywhere (a relay slot removed while it plays or waits to start); `userId` 0 = the system. */
  async cancelBroadcast(broadcastId: string, userId: number): Promise<void> {
    const b = await this.repo.findBroadcast(broadcastId);
    if (b && !isFinalBroadcastState(b.state)) await this.cancelOne(b, userId);
  }

  /**
   * A broadcast's window now ends at `endAt` (a relay slot shortened while it plays): its run ends its plays then. The
   * terminals were told the old end in their play command: the caller stops them at the new one (stopOnBuses).
   */
  async shorten(broadcastId: string, endAt: Date): Promise<void> {
    await this.repo.write([], { broadcastId, set: { endAt } });
    for (const run of this.shards.runsOf(broadcastId)) run.moveEnd(endAt, this.log);
  }

  /**
   * Terminals of a running broadcast not started at its start are started now, late, if its window is open. In a
   * cluster those whose delivery no run here holds are asked of their bus's holder (holder-requests.ts).
   */
  async startLate(broadcastId: string, terminalIds: number[]): Promise<void> {
    const here = this.shards.clustered ? terminalIds.filter((id) => this.shards.runOf(broadcastId, id)) : terminalIds;
    const elsewhere = terminalIds.filter((id) => !here.includes(id));
    await Promise.all([
      ...this.shards.runsOf(broadcastId).map((run) => run.startLate(here)),
      ...(elsewhere.length > 0 ? [this.cluster.requests.askLateStart(broadcastId, elsewhere)] : []),
    ]);
  }

  /** In a cluster: the terminals of the broadcast not started on other instances' buses (holder-requests.ts). */
  async notStartedElsewhere(broadcastId: string): Promise<number[]> {
    return this.shards.clustered ? this.cluster.requests.notStartedElsewhere(broadcastId) : [];
  }

  /** A broadcast's window now ends later (a relay slot lengthened while it plays): the terminals playing are told. */
  async lengthen(broadcastId: string, endAt: Date): Promise<void> {
    await this.repo.write([], { broadcastId, set: { endAt } });
    for (const run of this.shards.runsOf(broadcastId)) run.moveEnd(endAt, this.log);
  }

  /** A stop on the buses here the broadcast was started on (broadcast-stops.ts): the backstop of a play's end time. */
  async stopOnBuses(broadcastId: string): Promise<void> {
    const here = (g: number): boolean => !this.shards.clustered || this.leases.holds(busKey(g));
    await stopOnBuses(this.shards, this.repo, this.field, broadcastId, here);
  }

  /** The stop at a relay slot's end: on the buses here; in a cluster asked of the other holders (holder-requests.ts). */
  async stopEverywhere(broadcastId: string): Promise<void> {
    const asked = this.shards.clustered ? this.cluster.requests.askStop(broadcastId) : Promise.resolve();
    await asked.finally(() => this.stopOnBuses(broadcastId)); // the durable request first, then the stop here
  }

  /** The synchronised start time a run has set (ms), once it is running; null otherwise. */
  startTimeOf(broadcastId: string): number | null {
    const at = this.shards.runsOf(broadcastId).find((r) => r.startAtMs)?.startAtMs;
    return at ? at : null;
  }

  /**
   * When the start that a terminal of a running broadcast last got went out (ms), from its delivery row; null when
   * none went out or the run is not in memory.
   */
  startSentAt(broadcastId: string, terminalId: number): number | null {
    return this.shards.runOf(broadcastId, terminalId)?.ledger.ofTerminal(terminalId)?.startSentAt?.getTime() ?? null;
  }

  private async cancelOne(b: BroadcastEntity, userId: number): Promise<void> {
    const requested = { cancelRequestedAt: this.clock.date(), cancelledBy: userId };
    Object.assign(b, requested);
    if (this.shards.clustered) {
      await this.repo.write([], { broadcastId: b.broadcastId, set: requested });
      // each holder stops the deliveries of its buses at its next pass (docs/cluster.md): these here at once
      await Promise.all(this.shards.runsOf(b.broadcastId).map((run) => run.stop(userId)));
      await this.repo.settleUnshared(b.broadcastId, 'cancelled', `cancelled by user ${userId}`);
      await this.conclude(b, null);
      return this.cluster.soon();
    }
    const active = this.shards.runsOf(b.broadcastId)[0];
    const run = active ?? new BroadcastRun(b, new DeliveryLedger(await this.repo.ledgerRows(b.broadcastId)), this.ctx);
    await this.repo.write([], { broadcastId: b.broadcastId, set: requested });
    await run.stop(userId);
    b.state = 'cancelled';
    await this.repo.write([], {
      broadcastId: b.broadcastId,
      set: { state: 'cancelled', finishedAt: this.clock.date() },
    });
    this.emit(b, run.ledger.counts(), []);
    await this.advance(b.alertId, 'cancel', `cancelled by user ${userId}`);
  }

  private playingNow(terminalId: number, except: string): PlayingNow | null {
    for (const run of this.shards.runs()) {
      if (run.broadcastId === except) continue;
      if (run.ledger.ofTerminal(terminalId)?.state === 'playing')
        return { broadcastId: run.broadcastId, priority: run.broadcast.priority, certain: true };
    }
    const r = this.monitoring.terminal(terminalId)?.reading;
    return r && isBroadcasting(r) && r.broadcastId !== except
      ? { broadcastId: r.broadcastId, priority: r.priority }
      : null;
  }

  /** Writes a run's batch, tried again twice on an error (a write may fail for a moment); false when it never went through. */
  private async flush(run: RunView, changes: DeliveryChange[], updates: DeliveryUpdate[]): Promise<boolean> {
    let written: DeliveryChange[] = [];
    for (let attempt = 1; ; attempt++) {
      try {
        written = await this.shards.write(run, changes, updates);
        break;
      } catch (e) {
        if (this.halting || attempt >= FLUSH_ATTEMPTS) {
          if (!this.halting)
            this.log.error(`broadcast ${run.broadcastId}: delivery states not written: ${(e as Error).message}`);
          return false;
        }
        await this.clock.sleep(FLUSH_RETRY_MS * attempt);
      }
    }
    if (written.length === 0) return true;
    // in a cluster the counts are the broadcast's, every holder's deliveries, as written
    const counts = this.shards.clustered
      ? await this.repo.stateCounts(run.broadcastId).catch(() => null)
      : run.ledger.counts();
    if (counts) this.emit(run.broadcast, counts, written);
    return true;
  }

  /** Progress on the live view: the broadcast's counts and the deliveries that changed. */
  emit(b: BroadcastEntity, counts: StateCounts, changes: DeliveryChange[]): void {
    if (this.halting) return;
    this.progressSubject.next({
      broadcastId: b.broadcastId,
      alertId: b.alertId,
      drill: b.drill,
      state: b.state,
      counts,
      changes: changes.map((c) => ({ terminalId: c.terminalId, areaCode: c.areaCode, state: c.to, reason: c.reason })),
    });
  }

  private advance(alertId: number, event: AlertEvent, detail?: string): Promise<void> {
    return advanceAlert(this.moduleRef, this.log, alertId, event, detail);
  }
}
