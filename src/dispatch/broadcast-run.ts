/**
 * One broadcast on the wire, continued from its rows: locate the terminals, choose the clip variant each decodes,
 * transfer it per bus in parallel, start every bus together (a play with a start time a little ahead), verify and
 * retry within the window, then wait for the play to end. Its rooms, in src/dispatch/run/: the shared state and the
 * ordered writes (run-state.ts), the transfer rounds (run-transfers.ts), the start of a bus (bus-start.ts), the late
 * starts (late-starts.ts) and the end read (end-read.ts). A start is recorded as sent before it goes out, so a
 * restarted server reads the terminal before starting it again.
 */
import { stopPhase, type BusLink } from './bus-plan';
import type { BroadcastEntity } from './broadcast.entities';
import type { DeliveryLedger, LedgerRow } from './delivery-ledger';
import type { DeliveryState } from './delivery-lifecycle';
import { BusStart } from './run/bus-start';
import { endRead } from './run/end-read';
import { LateStarts } from './run/late-starts';
import { Resumes } from './run/resumes';
import type { ClipVariant, RunContext } from './run/run-context';
import { RunState } from './run/run-state';
import { readInDoubt } from './run/in-doubt';
import { firstRounds, type BusPlan } from './run/run-transfers';

export { Halt, type ClipVariant, type PlayingNow, type RunContext } from './run/run-context';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** The one "variant" of a live source (FM, line-in, IP stream): no clip, no data, played until the window's end. */
function liveVariant(terminalIds: number[]): { terminalIds: number[]; clip: ClipVariant; error: null }[] {
  return [
    {
      terminalIds,
      clip: { clipId: 0, codec: 'live', digest: '', data: new Uint8Array(0), durationMs: 0 },
      error: null,
    },
  ];
}

const NOT_LOCATED = 'no open bus reaches the terminal (unknown, disabled, or its gateway is)';

export class BroadcastRun extends RunState {
  private readonly busStart: BusStart;
  private readonly lateStarts: LateStarts;
  private readonly resumes = new Resumes(this);

  constructor(broadcast: BroadcastEntity, ledger: DeliveryLedger, ctx: RunContext) {
    super(broadcast, ledger, ctx);
    this.busStart = new BusStart(this, (gatewayId, ids, clip) =>
      this.later(this.lateStarts.storeAndStart(gatewayId, ids, clip)),
    );
    this.lateStarts = new LateStarts(this, () => this.busStart);
  }

  /** Runs the broadcast to its end; resolves when every terminal is settled, or throws Halt. */
  async run(): Promise<void> {
    this.startAtMs = Math.max(this.ctx.clock.now() + this.ctx.policy.startLeadMs, this.broadcast.startAt.getTime());
    const plan = await this.plan();
    // starts recorded by the server that ran these rows before are read before anything is signed on their buses
    await readInDoubt(this, plan);
    // the terminals the first round could not reach are tried again meanwhile; one stored late is started on its
    // own once its bus's synchronised start has gone out (it may have heard that one already)
    const busStarted = new Map(plan.map((p) => [p.gatewayId, deferred()]));
    this.awaitStartPhases(plan.map((p) => p.gatewayId));
    const started = (g: number): Promise<void> => busStarted.get(g)?.promise ?? Promise.resolve();
    let retrying: Promise<unknown> = Promise.resolve();
    try {
      const lates = await firstRounds(this, plan, (p) =>
        this.later(
          this.lateStarts.storeAndStart(
            p.gatewayId,
            p.rows.map((r) => r.terminalId),
            p.clip,
            started(p.gatewayId),
          ),
        ),
      );
      retrying = Promise.all(lates.map((l) => this.lateStarts.retry(l, started(l.gatewayId))));
      retrying.catch(() => undefined);
      await this.startAll(plan, (g) => busStarted.get(g)?.resolve());
    } finally {
      // stopped before a bus's start (a cancel): what waits for it goes on, and sees the cancel
      for (const [g, d] of busStarted) {
        d.resolve();
        this.startPhaseOver(g);
      }
    }
    // the terminals playing are marked played as they finish while the late ones are still being transferred to (a
    // long signal's transfer to one terminal takes minutes); the run ends when both are done
    let retried = false;
    const late = Promise.all([retrying, ...this.lateWork]);
    late.catch(() => undefined);
    void late
      .finally(() => {
        retried = true;
        this.wake?.();
      })
      .catch(() => undefined);
    await this.playThrough(() => !retried);
    await late;
    this.checkpoint();
    await this.playThrough(() => false);
  }

  /** The terminals no bus reaches are unreachable; the others grouped by bus and clip variant. */
  private async plan(): Promise<BusPlan[]> {
    const now = this.ctx.clock.now();
    const active = this.ledger.inState('pending', 'transferring', 'ready');
    const lost = active.filter((r) => this.ctx.locate(r.terminalId) === null);
    this.ledger.move(
      lost.map((r) => r.id),
      'unreachable',
      NOT_LOCATED,
    );
    await this.flush();
    const work = active.filter((r) => !lost.includes(r));
    // a delivery verified playing before a restart ends when it would have: its clip's length is needed too
    const alreadyPlaying = this.ledger.inState('playing');
    const variants = this.broadcast.source
      ? liveVariant([...work, ...alreadyPlaying].map((r) => r.terminalId))
      : await this.ctx.clipFor(
          this.broadcast.clipId,
          [...work, ...alreadyPlaying].map((r) => r.terminalId),
        );
    this.checkpoint();
    const plan: BusPlan[] = [];
    for (const v of variants) {
      const rows = this.rowsOf(v.terminalIds).filter((r) => r.state !== 'playing');
      for (const r of this.rowsOf(v.terminalIds).filter((x) => x.state === 'playing')) {
        const from = (r.startSentAt ?? r.verifiedAt ?? new Date(now)).getTime() + this.ctx.policy.startLeadMs;
        this.durationMs.set(r.id, v.clip?.durationMs ?? 0);
        this.endsAt.set(r.id, this.endOf(from, v.clip?.durationMs ?? 0));
      }
      if (!v.clip) {
        this.ledger.move(
          rows.map((r) => r.id),
          'failed',
          v.error ?? 'no clip variant',
        );
        continue;
      }
      for (const r of rows) this.durationMs.set(r.id, v.clip.durationMs);
      // a live source has nothing to transfer: every terminal is ready for the start at once
      if (this.broadcast.source)
        this.ledger.move(
          rows.filter((r) => r.state === 'pending').map((r) => r.id),
          'ready',
        );
      const byBus = new Map<number, LedgerRow[]>();
      for (const r of rows) {
        const g = this.ctx.locate(r.terminalId)?.gatewayId as number;
        byBus.set(g, [...(byBus.get(g) ?? []), r]);
      }
      for (const [gatewayId, rs] of byBus) plan.push({ gatewayId, rows: rs, clip: v.clip });
    }
    return plan;
  }

  /** Waits for the start time less its lead, then starts every bus together; `started` is told of each bus once done. */
  private async startAll(plan: BusPlan[], started: (gatewayId: number) => void): Promise<void> {
    const wait = this.startAtMs - this.ctx.policy.startLeadMs - this.ctx.clock.now();
    if (wait > 0) await this.ctx.clock.sleep(wait);
    this.checkpoint();
    // start times travel in whole seconds (terminal-modbus PROTOCOL.md §4): round up so ours is the terminal's. Woken
    // a few ms late from the wait for a start planned ahead (a relay slot's second), the start keeps its second while
    // at least half the lead is left, rather than slipping to the next one
    const lead = wait > 0 ? this.ctx.policy.startLeadMs / 2 : this.ctx.policy.startLeadMs;
    this.startAtMs = Math.ceil(Math.max(this.startAtMs, this.ctx.clock.now() + lead) / 1000) * 1000;
    const units = await this.ctx.unitsOn([...new Set(plan.map((p) => p.gatewayId))]);
    await Promise.all(
      plan.map(async (p) => {
        try {
          await this.busStart.start(p.gatewayId, p.rows, p.clip, units.get(p.gatewayId) ?? 0, false);
        } finally {
          this.startPhaseOver(p.gatewayId);
          started(p.gatewayId);
        }
      }),
    );
  }

  /** Marks the terminals playing `played` as they finish; returns when none plays, none waits to resume, and `more()` is false. */
  private async playThrough(more: () => boolean): Promise<void> {
    for (;;) {
      this.checkpoint();
      const now = this.ctx.clock.now();
      const due = this.ledger.inState('playing').filter((r) => (this.endsAt.get(r.id) ?? 0) <= now);
      if (due.length > 0) await this.ended(due);
      const playing = this.ledger.inState('playing');
      // a relay slot (alert id 0) waits for its window's end while terminals wait to resume or to start late
      const waits = this.broadcast.alertId === 0 ? ['preempted', 'unreachable', 'failed'] : ['preempted'];
      const waiting =
        now < this.broadcast.endAt.getTime() && this.ledger.inState(...(waits as DeliveryState[])).length > 0;
      if (playing.length === 0 && !waiting && !more()) return;
      const next = Math.min(this.broadcast.endAt.getTime(), ...playing.map((r) => this.endsAt.get(r.id) ?? now));
      await Promise.race([
        this.ctx.clock.sleep(Math.max(0, next - now)),
        new Promise<void>((resolve) => (this.wake = resolve)),
      ]);
      this.wake = null;
    }
  }

  /** The end read of the rows whose play is due to end, into the ledger; the broadcasts they interrupted may resume. */
  private async ended(due: LedgerRow[]): Promise<void> {
    const ended = await endRead(this, due);
    this.checkpoint();
    const at = this.ctx.clock.date();
    for (const [reason, rows] of ended.played)
      this.ledger.move(
        rows.map((r) => r.id),
        'played',
        reason,
        { finishedAt: at },
      );
    for (const { row, reason } of ended.restarted) this.ledger.move([row.id], 'failed', reason, { finishedAt: at });
    await this.flush();
    // every terminal at once, not one after the other (a county-wide alert ends on a thousand of them together); the
    // resumptions retry on their own and this run does not wait for them
    const resumes = [...[...ended.played.values()].flat(), ...ended.restarted.map((x) => x.row)]
      .filter((r) => r.preemptedBroadcastId)
      .map((r) => this.ctx.ended(r.preemptedBroadcastId as string, r.terminalId));
    void Promise.all(resumes).catch(() => undefined);
  }

  /**
   * What preempted us on a terminal has ended: start ours again there if the window is still open, verified and retried
   * as any start; the terminals asked for together are resumed together, per bus (run/resumes.ts).
   */
  resume(terminalId: number, link: BusLink): Promise<void> {
    return this.resumes.resume(terminalId, link);
  }

  /**
   * The window now ends later (a relay slot lengthened while it plays, `broadcast.endAt` already moved): the plays end
   * then, and the terminals playing are told the new end (run/resumes.ts).
   */
  async lengthen(): Promise<void> {
    const playing = this.ledger.inState('playing');
    for (const r of playing)
      this.endsAt.set(
        r.id,
        Math.max(this.endsAt.get(r.id) ?? 0, this.endOf(this.startAtMs, this.durationMs.get(r.id) ?? 0)),
      );
    this.wake?.();
    await this.resumes.renew(playing);
  }

  /**
   * Terminals not started at the synchronised start — offline then, or playing something stronger — started now for
   * what remains of the window, on their own: read first, then started (the priority rules' veto on a fresh read).
   * A relay slot that lost its beginning there (docs/relay.md, "Late starts").
   */
  async startLate(terminalIds: number[]): Promise<void> {
    const now = this.ctx.clock.now();
    if (this.cancelled || !this.startAtMs || now < this.startAtMs || now >= this.broadcast.endAt.getTime()) return;
    const rows = this.rowsOf(terminalIds).filter(
      (r) => (r.state === 'unreachable' || r.state === 'failed') && this.ctx.locate(r.terminalId),
    );
    if (rows.length === 0) return;
    this.ledger.move(
      rows.map((r) => r.id),
      'pending',
    );
    const ids = rows.map((r) => r.terminalId);
    const variants = this.broadcast.source ? liveVariant(ids) : await this.ctx.clipFor(this.broadcast.clipId, ids);
    for (const v of variants) {
      const vs = this.rowsOf(v.terminalIds);
      if (!v.clip)
        this.ledger.move(
          vs.map((r) => r.id),
          'failed',
          v.error ?? 'no clip variant',
        );
      const clip = v.clip;
      if (!clip) continue;
      for (const r of vs) this.durationMs.set(r.id, clip.durationMs);
      if (this.broadcast.source)
        this.ledger.move(
          vs.map((r) => r.id),
          'ready',
        );
      const byBus = new Map<number, number[]>();
      for (const r of vs) {
        const g = this.ctx.locate(r.terminalId)?.gatewayId as number;
        byBus.set(g, [...(byBus.get(g) ?? []), r.terminalId]);
      }
      await this.flush();
      await Promise.all(
        [...byBus].map(([g, keys]) =>
          this.broadcast.source
            ? this.busStart.start(g, this.rowsOf(keys), clip, 0, true)
            : this.lateStarts.storeAndStart(g, keys, clip),
        ),
      );
    }
    await this.flush();
  }

  /** Another broadcast took the terminal. */
  async preemptedBy(terminalId: number): Promise<void> {
    const r = this.ledger.ofTerminal(terminalId);
    if (!r || r.state !== 'playing' || this.cancelled) return;
    this.ledger.move([r.id], 'preempted');
    await this.flush();
    this.wake?.();
  }

  /**
   * Stops the run where it stands (a cancel): the terminals it started are sent a stop, its open deliveries are
   * cancelled, and what it had cut into comes back (a relay slot still open resumes).
   */
  async stop(userId: number): Promise<void> {
    this.cancelled = true;
    this.interrupt();
    const sounding = this.ledger.rows().filter((r) => r.startSentAt && r.state !== 'played' && r.state !== 'cancelled');
    const byBus = new Map<number, number[]>();
    for (const r of sounding) {
      const g = this.ctx.locate(r.terminalId)?.gatewayId;
      if (g !== undefined) byBus.set(g, [...(byBus.get(g) ?? []), r.terminalId]);
    }
    const stop = { code: 'stop' as const, broadcastId: this.broadcastId, priority: this.broadcast.priority };
    // a bus whose stop fails (gone from this run: its new holder settles it) does not keep the others from settling
    await Promise.all(
      [...byBus].map(([g, keys]) => stopPhase(this.ctx.link(g), keys, stop, this.ours(null)).catch(() => undefined)),
    );
    const open = this.ledger.rows().filter((r) => r.state !== 'played' && r.state !== 'cancelled');
    this.ledger.move(
      open.map((r) => r.id),
      'cancelled',
      `cancelled by user ${userId}`,
    );
    await this.flush();
    const cut = sounding.filter((r) => r.preemptedBroadcastId);
    void Promise.all(cut.map((r) => this.ctx.ended(r.preemptedBroadcastId as string, r.terminalId))).catch(
      () => undefined,
    );
  }

  /**
   * The window moved to `endAt` (here, or through another instance of a cluster): shorter, the plays end then; longer,
   * the terminals playing are told in the background (verified and retried) while the caller goes on.
   */
  moveEnd(endAt: Date, log: { warn(m: string): void }): void {
    const before = this.broadcast.endAt.getTime();
    this.broadcast.endAt = endAt;
    if (endAt.getTime() < before) {
      for (const r of this.ledger.inState('playing'))
        this.endsAt.set(r.id, Math.min(this.endsAt.get(r.id) ?? endAt.getTime(), endAt.getTime()));
      this.interrupt();
      return;
    }
    void this.lengthen().catch((e: unknown) => log.warn(`${this.broadcastId}: new end not sent: ${String(e)}`));
  }

  /** Ends the play-through wait at once (a cancel). */
  interrupt(): void {
    this.wake?.();
  }
}
