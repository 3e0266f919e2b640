/**
 * How the instances of a cluster share the broadcasts (docs/cluster.md, "Dispatch across instances"): every instance
 * passes over the unfinished broadcasts a few times a second, and when it gains a bus, and
 * - runs (in a shard, dispatch-shards.ts) the open deliveries of the buses it holds and has open that no run of its
 *   own covers yet: a broadcast launched through another instance, or the buses of an instance that stopped, taken
 *   over with their leases and continued from their rows (a terminal whose start was recorded as sent is read before
 *   it is started again, so none is started twice);
 * - stops its runs of a broadcast cancelled through another instance, and follows a window moved there;
 * - settles the deliveries no bus of the cluster reaches (a terminal on no gateway or on a disabled one);
 * - acts on the requests other instances wrote for the buses it holds: a relay slot's late start on one of their
 *   terminals, the stop at a slot's end (holder-requests.ts);
 * - concludes a broadcast left with no open delivery and no run (its last holder stopped before concluding it).
 * The first instance to begin a broadcast writes when; the others start their buses on the same second
 * (`sharedStart`), so a county alert starts together across instances as it does on one.
 *
 * Not clustered it does nothing: the single instance runs every broadcast whole.
 */
import { Logger } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { Clock, TimerHandle } from '../common/clock';
import { busKey, type LeaseManager } from '../cluster/lease-manager';
import type { FieldCommands } from '../field/field-commands';
import { gatewayOfKey } from '../field/bus-leases';
import type { BroadcastEntity } from './broadcast.entities';
import type { BroadcastRun } from './broadcast-run';
import type { DispatchRepository } from './dispatch.repository';
import type { DispatchShards } from './dispatch-shards';
import { HolderRequests } from './holder-requests';
import type { LiveStatus } from '../monitoring/status-store';

/** How often an instance passes over the unfinished broadcasts, ms. */
export const DISPATCH_PASS_MS = 400;
/** How long after a broadcast began the instances start it together: one pass and its queries, ms. */
export const JOIN_MS = 700;
/** A broadcast with no open delivery is concluded by a pass only once none has changed for this long, ms. */
const QUIET_MS = 30_000;

const UNSHARED = 'no bus of the cluster reaches the terminal (no gateway, or its gateway is disabled)';

export interface DispatchHost {
  startShard(broadcastId: string, buses: Map<number, number>): void;
  stopRun(run: BroadcastRun, userId: number): Promise<void>;
  conclude(b: BroadcastEntity, run: BroadcastRun | null): Promise<void>;
  resize(run: BroadcastRun, endAt: Date): void;
  stopOnBuses(broadcastId: string): Promise<void>;
  /** This instance's monitoring of a terminal (of its buses). */
  status(terminalId: number): LiveStatus | undefined;
  halted(): boolean;
}

export class DispatchCluster {
  private readonly log = new Logger('Dispatch');
  private timer: TimerHandle | null = null;
  private subscription: Subscription | null = null;
  private passing: Promise<void> | null = null;
  private again = false;
  private stopped = false;
  /** The requests of other instances for the holders of buses (late starts, stops), written and served. */
  readonly requests: HolderRequests;

  constructor(
    private readonly shards: DispatchShards,
    private readonly repo: DispatchRepository,
    private readonly field: FieldCommands,
    private readonly leases: LeaseManager,
    private readonly clock: Clock,
    private readonly startLeadMs: number,
    private readonly host: DispatchHost,
  ) {
    this.requests = new HolderRequests(repo, shards, field, leases, clock, host);
  }

  start(): void {
    if (!this.leases.clustered || this.timer || this.stopped) return;
    this.subscription = this.leases.events.subscribe((e) => {
      const g = gatewayOfKey(e.key);
      if (g === null) return;
      if (e.kind === 'lost') this.shards.drop(g);
      else this.soon();
    });
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    this.subscription?.unsubscribe();
  }

  /** The second every holder starts a broadcast's buses on (ms): when it began, plus the lead and one pass. */
  sharedStart(b: BroadcastEntity): number {
    return (b.startedAt ?? this.clock.date()).getTime() + this.startLeadMs + JOIN_MS;
  }

  /** A pass now (a broadcast launched here, a bus gained); coalesced with one under way. */
  soon(): void {
    if (!this.leases.clustered || this.stopped) return;
    if (this.passing) {
      this.again = true;
      return;
    }
    this.passing = this.pass()
      .catch((e: unknown) => {
        if (!this.host.halted()) this.log.warn(`dispatch pass: ${(e as Error).message}`);
      })
      .finally(() => {
        this.passing = null;
        if (this.again) {
          this.again = false;
          this.soon();
        }
      });
  }

  /** Resolves once the pass under way (if any) has ended (tests). */
  async idle(): Promise<void> {
    while (this.passing) await this.passing;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.soon();
      this.schedule();
    }, DISPATCH_PASS_MS);
  }

  private async pass(): Promise<void> {
    for (const { broadcast: b, gateways } of await this.repo.openWork()) {
      if (this.stopped || this.host.halted()) return;
      const runs = this.shards.runsOf(b.broadcastId);
      if (b.cancelRequestedAt) {
        const live = runs.filter((r) => !r.cancelled);
        for (const run of live) await this.host.stopRun(run, b.cancelledBy ?? 0);
        if (live.length > 0) await this.host.conclude(b, null);
      } else {
        for (const run of runs) this.follow(run, b.endAt);
      }
      if (gateways.some((g) => g === null || !this.leases.ownerOf(busKey(g)))) {
        const state = b.cancelRequestedAt ? 'cancelled' : 'unreachable';
        const reason = b.cancelRequestedAt ? `cancelled by user ${b.cancelledBy ?? 0}` : UNSHARED;
        if ((await this.repo.settleUnshared(b.broadcastId, state, reason)) > 0) await this.host.conclude(b, null);
      }
      const claim = this.shards.claimable(b.broadcastId, gateways, (g) => this.field.connection(g) !== null);
      if (claim.size > 0) this.host.startShard(b.broadcastId, claim);
      else if (gateways.length === 0 && runs.length === 0 && (await this.quiet(b))) await this.host.conclude(b, null);
    }
    if (this.stopped || this.host.halted()) return;
    await this.requests.serve((g) => this.field.connection(g) !== null);
  }

  /** The window of a broadcast moved through another instance: the run here follows it. */
  private follow(run: BroadcastRun, endAt: Date): void {
    const before = run.broadcast.endAt.getTime();
    if (endAt.getTime() === before) return;
    this.host.resize(run, endAt);
    if (endAt.getTime() >= before) return;
    // the terminals were told the old end in their play: they are stopped at the new one
    const wait = Math.max(0, endAt.getTime() - this.clock.now());
    void this.clock
      .sleep(wait)
      .then(() => (this.host.halted() ? undefined : this.host.stopOnBuses(run.broadcastId)))
      .catch(() => undefined);
  }

  /** Nothing of the broadcast has changed for a while, and its window (a relay slot's) is over. */
  private async quiet(b: BroadcastEntity): Promise<boolean> {
    const now = this.clock.now();
    if (b.alertId === 0 && now < b.endAt.getTime()) return false;
    const last = await this.repo.lastChange(b.broadcastId);
    return last === null || now - last.getTime() >= QUIET_MS;
  }
}
