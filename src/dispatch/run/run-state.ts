/**
 * What the rooms of one broadcast run share: the broadcast, its ledger, when each play ends, and the ordered writes of
 * what changed. Every state change goes through the ledger (checked against the lifecycle table) and is written in
 * batches, before the commands it announces where that matters.
 */
import type { PriorityClass } from '../../field/field-port';
import type { BroadcastEntity } from '../broadcast.entities';
import type { OurBroadcast, PlayCommand } from '../bus-plan';
import type { DeliveryLedger, LedgerRow } from '../delivery-ledger';
import { Halt, type ClipVariant, type RunContext } from './run-context';

export class RunState {
  cancelled = false;
  /** The synchronised start time (ms); whole seconds once the start goes out. */
  startAtMs = 0;
  /** Per delivery id: when its play ends (ms). */
  readonly endsAt = new Map<number, number>();
  readonly durationMs = new Map<number, number>();
  /** Per delivery id: when the terminal last booted, by the read that verified it playing (uptime). */
  readonly bootAt = new Map<number, number>();
  /** Per delivery id: when its play should first have ended, for one read still playing it at that time. */
  readonly overtime = new Map<number, number>();
  /** Work begun at the start that the run must wait for beside the late transfers (terminals found without the clip). */
  readonly lateWork: Promise<void>[] = [];
  /**
   * Per bus of the run's first start: resolves once that start phase is over (or there is none to send). A transfer
   * beside the start waits for it before it reads or prepares anything (in-doubt.ts).
   */
  private readonly startPhases = new Map<number, { promise: Promise<void>; resolve: () => void }>();
  /** Wakes the play-through's wait (a terminal started late, a cancel). */
  wake: (() => void) | null = null;
  /** Every command this server signs from the run's start on has a greater sequence (null: unknown). */
  readonly floorAtStart: number | null;
  private writes: Promise<boolean> = Promise.resolve(true);
  private flushQueued = false;

  constructor(
    readonly broadcast: BroadcastEntity,
    readonly ledger: DeliveryLedger,
    readonly ctx: RunContext,
  ) {
    this.floorAtStart = ctx.sequenceFloor?.() ?? null;
  }

  get broadcastId(): string {
    return this.broadcast.broadcastId;
  }

  checkpoint(): void {
    if (this.cancelled || this.ctx.halted()) throw new Halt();
  }

  /** Writes what changed, in order (each write after the previous one); false when that write did not go through. */
  flush(): Promise<boolean> {
    if (!this.ledger.pending) return this.writes;
    const { changes, updates } = this.ledger.take();
    const run = this.writes.then(() => this.ctx.flush(this, changes, updates));
    this.writes = run;
    return run;
  }

  /**
   * Writes what changed soon: at most one write waits behind the one under way, and takes every change made meanwhile
   * (terminals verified one by one on 280 buses make a handful of writes, not one each).
   */
  flushSoon(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    void this.writes
      .catch(() => undefined)
      .then(() => {
        this.flushQueued = false;
        return this.flush();
      })
      .catch(() => undefined);
  }

  /** Late work the run waits for beside the retries; a failure (a cancel) is the run's to see, not an unhandled rejection. */
  later(work: Promise<void>): void {
    work.catch(() => undefined);
    this.lateWork.push(work);
  }

  /**
   * The sequences a terminal's last command may carry to count as the start recorded for it by the server that ran its
   * delivery before (null: none): above the row's `startFloor`, and signed before this instance drove the terminal's
   * bus — from when it opened the bus (taken over in a cluster, or opened at start after a restart), else from the
   * run's start. A command this instance signed there itself since is never taken for that start.
   */
  signedBefore(terminalId: number, gatewayId: number): { above: number; upTo: number } | null {
    const floor = this.ledger.ofTerminal(terminalId)?.startFloor ?? null;
    const upTo = this.ctx.busSequenceFloor?.(gatewayId) ?? this.floorAtStart;
    return floor === null || upTo === null || upTo <= floor ? null : { above: floor, upTo };
  }

  /** The run's first start on these buses is still to come: `startPhaseOver` resolves each. */
  awaitStartPhases(gatewayIds: number[]): void {
    for (const g of gatewayIds) {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      this.startPhases.set(g, { promise, resolve });
    }
  }

  /**
   * The run's first start phase on the bus is over: it sends no start there any more, not even the copy of a
   * bus-wide start lost on the line.
   */
  startPhaseOver(gatewayId: number): void {
    this.startPhases.get(gatewayId)?.resolve();
  }

  /** Resolves once the run's first start phase on the bus is over (at once when none is awaited). */
  startPhaseOn(gatewayId: number): Promise<void> {
    return this.startPhases.get(gatewayId)?.promise ?? Promise.resolve();
  }

  /** The delivery id of a terminal of this broadcast. */
  idOf(terminalId: number): number {
    return this.ledger.ofTerminal(terminalId)?.id as number;
  }

  rowsOf(terminalIds: number[]): LedgerRow[] {
    return terminalIds.map((t) => this.ledger.ofTerminal(t)).filter((r): r is LedgerRow => r !== undefined);
  }

  /** When a play that began at `from` ends: repeat × one play, within the window (repeat 0: the window's end). */
  endOf(from: number, durationMs: number): number {
    const windowEnd = this.broadcast.endAt.getTime();
    if (this.broadcast.repeat === 0 || durationMs === 0) return windowEnd;
    return Math.min(windowEnd, from + durationMs * this.broadcast.repeat);
  }

  /**
   * The first transfer round at the broadcast's own class; the retries one class lower, so that they never hold up the
   * synchronised start and its verification on the same bus.
   */
  transferPriority(): { priority: PriorityClass; retry: PriorityClass } {
    return this.broadcast.emergency
      ? { priority: 'emergency', retry: 'command' }
      : { priority: 'transfer', retry: 'transfer' };
  }

  command(clip: Pick<ClipVariant, 'clipId'>, startAt: number | undefined): PlayCommand {
    const b = this.broadcast;
    return {
      code: 'play',
      source: b.source ?? 'stored',
      clipId: b.source ? 0 : clip.clipId,
      ...(b.source ? { sourceParam: b.sourceParam ?? 0 } : {}),
      priority: b.priority,
      broadcastClass: b.broadcastClass,
      repeat: b.repeat,
      volume: b.volume,
      startAt: startAt === undefined ? undefined : new Date(startAt),
      endAt: b.endAt,
      broadcastId: b.broadcastId,
    };
  }

  ours(clipId: number | null): OurBroadcast {
    const b = this.broadcast;
    return {
      broadcastId: b.broadcastId,
      // a live source is known only by its broadcast id (clip id 0 would match any anonymous live session)
      clipId: b.source ? null : clipId,
      priority: b.priority,
      broadcastClass: b.broadcastClass,
      startAt: this.startAtMs,
    };
  }
}
