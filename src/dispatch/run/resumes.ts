/**
 * The resumption of a preempted delivery (docs/relay.md, "Emergencies first"): what cut into our play on a terminal has
 * ended, and our window is still open — start ours again there, without a start time. A resumption is a start as any
 * other (src/dispatch/bus/start-phase.ts): sent, verified by a read, retried with the policy's backoff until the retry
 * window or the broadcast's end. The terminals asked for in one turn (an alert's end read settles all its terminals
 * together) are resumed together, one start phase per bus: when every terminal of ours on the bus waits to resume (or
 * never answered), one bus-wide play brings them all back at once — twelve unicast plays and their reads on a
 * 9,600-baud bus take four seconds — and those that did not take it are started on their own.
 */
import { startPhase, type BusLink } from '../bus-plan';
import type { LedgerRow } from '../delivery-ledger';
import type { RunState } from './run-state';

interface BusResume {
  link: BusLink;
  rows: LedgerRow[];
}

export class Resumes {
  /** Deliveries whose resumption (or renewal) is under way (by id). */
  private readonly resuming = new Set<number>();
  /** The resumptions asked for in this turn, by bus. */
  private batch: Map<number, BusResume> | null = null;
  private done: Promise<void> = Promise.resolve();

  constructor(private readonly run: RunState) {}

  /** Resumes the terminal's delivery if it is preempted and the window open; resolves when its batch is settled. */
  resume(terminalId: number, link: BusLink): Promise<void> {
    const run = this.run;
    const r = run.ledger.ofTerminal(terminalId);
    const gatewayId = run.ctx.locate(terminalId)?.gatewayId;
    if (!r || r.state !== 'preempted' || run.cancelled || this.resuming.has(r.id) || gatewayId === undefined)
      return Promise.resolve();
    if (run.ctx.clock.now() >= run.broadcast.endAt.getTime()) return Promise.resolve();
    this.resuming.add(r.id);
    if (!this.batch) {
      const batch = new Map<number, BusResume>();
      this.batch = batch;
      // the others of this turn are asked for before the microtask runs
      this.done = Promise.resolve().then(() => {
        this.batch = null;
        return this.start(batch);
      });
    }
    const bus = this.batch.get(gatewayId) ?? { link, rows: [] };
    bus.rows.push(r);
    this.batch.set(gatewayId, bus);
    return this.done;
  }

  /**
   * The terminals playing the broadcast are sent its play again, now carrying the window's new end (a relay slot
   * lengthened while it plays: the play they took ends on the old one), per bus and verified as a resumption is.
   */
  async renew(rows: LedgerRow[]): Promise<void> {
    const byBus = new Map<number, BusResume>();
    for (const r of rows) {
      const g = this.run.ctx.locate(r.terminalId)?.gatewayId;
      if (g === undefined || r.state !== 'playing' || this.resuming.has(r.id)) continue;
      this.resuming.add(r.id);
      const bus = byBus.get(g) ?? { link: this.run.ctx.link(g), rows: [] };
      bus.rows.push(r);
      byBus.set(g, bus);
    }
    await this.start(byBus, 'playing');
  }

  private async start(batch: Map<number, BusResume>, waits: 'preempted' | 'playing' = 'preempted'): Promise<void> {
    let units = new Map<number, number>();
    try {
      units = await this.run.ctx.unitsOn([...batch.keys()]);
    } catch {
      // without the count no bus-wide play: each terminal is resumed on its own
    }
    await Promise.all(
      [...batch].flatMap(([g, bus]) => {
        // a stored clip may have a variant per terminal: one start per variant
        const byClip = new Map<number | null, LedgerRow[]>();
        for (const r of bus.rows)
          byClip.set(r.terminalClipId ?? null, [...(byClip.get(r.terminalClipId ?? null) ?? []), r]);
        const wholeBus = byClip.size === 1 && this.wholeBus(g, bus.rows, units.get(g) ?? 0);
        return [...byClip].map(([clipId, rows]) => this.startOnBus(bus.link, rows, clipId, wholeBus, waits));
      }),
    );
  }

  /** Every enabled unit of the bus is a terminal of ours that waits to resume, or one that never answered. */
  private wholeBus(gatewayId: number, rows: LedgerRow[], unitsOnBus: number): boolean {
    const onBus = this.run.ledger.rows().filter((r) => this.run.ctx.locate(r.terminalId)?.gatewayId === gatewayId);
    return onBus.length === unitsOnBus && onBus.every((r) => rows.includes(r) || r.state === 'unreachable');
  }

  private async startOnBus(
    link: BusLink,
    rows: LedgerRow[],
    clipId: number | null,
    wholeBus: boolean,
    waits: 'preempted' | 'playing',
  ): Promise<void> {
    const run = this.run;
    const now = run.ctx.clock.now();
    const end = run.broadcast.endAt.getTime();
    const policy = run.ctx.policy;
    const byKey = new Map(rows.map((r) => [r.terminalId, r]));
    const armed = now < run.startAtMs;
    try {
      await startPhase(
        link,
        {
          // before the synchronised start (a window lengthened that soon) the play keeps it: the terminals stay armed
          // for that second instead of starting now
          command: run.command({ clipId: clipId ?? 0 }, armed ? run.startAtMs : undefined),
          ours: armed ? run.ours(clipId) : { ...run.ours(clipId), startAt: 0 },
          priority: run.broadcast.emergency ? 'emergency' : 'command',
          toStart: rows.map((r) => r.terminalId),
          wholeBus,
          readFirst: [],
          deadline: Math.min(end, now + policy.retryWindowMs),
          windowEnd: end,
          backoffMs: policy.backoffMs,
          sameBlockWindowMs: policy.sameBlockWindowMs,
          maxSilences: policy.maxSilences,
          stopped: () => run.cancelled || run.ctx.halted(),
          // taken meanwhile by another broadcast (preempted again), or settled otherwise: not started again
          mayStart: (k) => (byKey.get(k)?.state === waits ? null : `no longer ${waits}`),
          suspect: (k) => run.ctx.offline(k),
          onPlaying: (k) => (waits === 'preempted' ? this.resumed(byKey.get(k)) : undefined),
        },
        run.ctx.clock,
      );
    } catch {
      // those not verified stay preempted: the window's end settles them
    } finally {
      for (const r of rows) this.resuming.delete(r.id);
    }
  }

  private resumed(r: LedgerRow | undefined): void {
    const run = this.run;
    if (!r || r.state !== 'preempted' || run.cancelled) return;
    run.ledger.move([r.id], 'playing', null, { verifiedAt: run.ctx.clock.date() });
    run.endsAt.set(r.id, run.endOf(run.ctx.clock.now(), run.durationMs.get(r.id) ?? 0));
    run.flushSoon();
    run.wake?.();
  }
}
