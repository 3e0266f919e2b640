/**
 * One broadcast on the wire, continued from its rows: locate the terminals, choose the clip variant each decodes,
 * transfer it per bus in parallel, start every bus together (a play with a start time a little ahead), verify and
 * retry within the window, then wait for the play to end. Every state change goes through the ledger (checked against
 * the lifecycle table) and is written in batches, before the commands it announces where that matters (a start is
 * recorded as sent before it goes out, so a restarted server reads the terminal before starting it again).
 */
import type { Clock } from '../common/clock';
import { failureOf, type PriorityClass, type TerminalStatus } from '../field/field-port';
import type { BroadcastEntity } from './broadcast.entities';
import { firstTransfer, isBroadcasting, showsOurs, startPhase, transferWithRetries, type BusLink, type OurBroadcast, type PlayCommand, type TransferOutcome } from './bus-plan';
import type { DispatchPolicy } from './dispatch-policy';
import type { DeliveryChange, DeliveryLedger, DeliveryUpdate, LedgerRow } from './delivery-ledger';

/** What plays on a terminal as far as the engine knows. */
export interface PlayingNow {
  broadcastId: string | null;
  priority: number;
  /** Known for sure (a broadcast this engine verified playing there), not from a sweep that may be stale. */
  fresh?: boolean;
}

/** What a run needs from the rest of the engine. */
export interface RunContext {
  clock: Clock;
  policy: DispatchPolicy;
  locate(terminalId: number): { gatewayId: number } | null;
  link(gatewayId: number): BusLink;
  /** Enabled terminals on a gateway (a bus-wide start reaches all of them). */
  unitsOn(gatewayIds: number[]): Promise<Map<number, number>>;
  /** The clip variant for each group of terminals: clip id on the terminal, data, and how long one play lasts. */
  clipFor(libraryClipId: string, terminalIds: number[]): Promise<{ terminalIds: number[]; clip: ClipVariant | null; error: string | null }[]>;
  playingNow(terminalId: number, except: string): PlayingNow | null;
  /** Writes a batch (errors are the context's to log: the run goes on from memory). */
  flush(run: BroadcastRun, changes: DeliveryChange[], updates: DeliveryUpdate[]): Promise<void>;
  /** Our start interrupted `other` on the terminal. */
  preempted(other: string, terminalId: number, by: string): Promise<void>;
  /** Our play ended on a terminal whose earlier broadcast we interrupted. */
  ended(other: string, terminalId: number): Promise<void>;
  halted(): boolean;
  /** Monitoring holds the terminal offline. */
  offline(terminalId: number): boolean;
  /** The terminal is known to hold this clip already (tone provisioning stored it): no transfer, not even a check. */
  holds?(terminalId: number, clipId: number): boolean;
  /** It turned out not to (it refused a play of it): forget that. */
  lacks?(terminalId: number, clipId: number): void;
  /** A transfer stored the clip on the terminal or found it there. */
  stored?(terminalId: number, clipId: number): void;
}

export interface ClipVariant {
  clipId: number;
  codec: string;
  digest: string;
  data: Uint8Array;
  durationMs: number;
}

/** The retries of a bus's terminals that the first transfer round could not reach. */
interface LateTransfer {
  gatewayId: number;
  clip: ClipVariant;
  retry: Awaited<ReturnType<typeof firstTransfer>>['late'];
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => undefined;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** Thrown at a checkpoint when the run must stop (a cancel, or the server closing). */
export class Halt extends Error {}

const NOT_LOCATED = 'no open bus reaches the terminal (unknown, disabled, or its gateway is)';

export class BroadcastRun {
  cancelled = false;
  /** Per delivery id: when its play ends (ms). */
  private readonly endsAt = new Map<number, number>();
  private durationMs = new Map<number, number>();
  /** Work begun at the start that the run must wait for beside the late transfers (terminals found without the clip). */
  private readonly lateWork: Promise<void>[] = [];
  /** Per delivery id: when the terminal last booted, by the read that verified it playing (uptime). */
  private readonly bootAt = new Map<number, number>();
  /** Per delivery id: when its play should first have ended, for one read still playing it at that time. */
  private readonly overtime = new Map<number, number>();
  private wake: (() => void) | null = null;
  private writes: Promise<void> = Promise.resolve();
  private flushQueued = false;
  startAtMs = 0;

  constructor(
    readonly b: BroadcastEntity,
    readonly ledger: DeliveryLedger,
    private readonly ctx: RunContext,
  ) {}

  get broadcastId(): string {
    return this.b.broadcastId;
  }

  private checkpoint(): void {
    if (this.cancelled || this.ctx.halted()) throw new Halt();
  }

  /** Writes what changed, in order (each write after the previous one). */
  flush(): Promise<void> {
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
  private flushSoon(): void {
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

  /** Runs the broadcast to its end; resolves with its outcome counts, or throws Halt. */
  async run(): Promise<void> {
    const now = this.ctx.clock.now();
    this.startAtMs = Math.max(now + this.ctx.policy.startLeadMs, this.b.startAt.getTime());
    const active = this.ledger.inState('pending', 'transferring', 'ready');
    const lost = active.filter((r) => this.ctx.locate(r.terminalId) === null);
    this.ledger.move(lost.map((r) => r.id), 'unreachable', NOT_LOCATED);
    await this.flush();
    const work = active.filter((r) => !lost.includes(r));
    // a delivery verified playing before a restart ends when it would have: its clip's length is needed too
    const alreadyPlaying = this.ledger.inState('playing');
    const variants = await this.ctx.clipFor(this.b.clipId, [...work, ...alreadyPlaying].map((r) => r.terminalId));
    this.checkpoint();
    const rowsOf = (ids: number[]): LedgerRow[] => ids.map((t) => this.ledger.ofTerminal(t)).filter((r): r is LedgerRow => r !== undefined);
    const plan: { gatewayId: number; rows: LedgerRow[]; clip: ClipVariant }[] = [];
    for (const v of variants) {
      const rows = rowsOf(v.terminalIds).filter((r) => r.state !== 'playing');
      for (const r of rowsOf(v.terminalIds).filter((x) => x.state === 'playing')) {
        const from = (r.startSentAt ?? r.verifiedAt ?? new Date(now)).getTime() + this.ctx.policy.startLeadMs;
        this.durationMs.set(r.id, v.clip?.durationMs ?? 0);
        this.endsAt.set(r.id, this.endOf(from, v.clip?.durationMs ?? 0));
      }
      if (!v.clip) {
        this.ledger.move(rows.map((r) => r.id), 'failed', v.error ?? 'no clip variant');
        continue;
      }
      for (const r of rows) this.durationMs.set(r.id, v.clip.durationMs);
      const byBus = new Map<number, LedgerRow[]>();
      for (const r of rows) {
        const g = this.ctx.locate(r.terminalId)?.gatewayId as number;
        byBus.set(g, [...(byBus.get(g) ?? []), r]);
      }
      for (const [gatewayId, rs] of byBus) plan.push({ gatewayId, rows: rs, clip: v.clip });
    }
    // the terminals the first round could not reach are tried again meanwhile; one stored late is started on its
    // own once its bus's synchronised start has gone out (it may have heard that one already)
    const busStarted = new Map(plan.map((p) => [p.gatewayId, deferred()]));
    const lates = await this.transfer(plan, (g) => busStarted.get(g)?.promise ?? Promise.resolve());
    const retrying = Promise.all(lates.map((l) => this.retryLate(l, busStarted.get(l.gatewayId)?.promise ?? Promise.resolve())));
    retrying.catch(() => undefined);
    try {
      const wait = this.startAtMs - this.ctx.policy.startLeadMs - this.ctx.clock.now();
      if (wait > 0) await this.ctx.clock.sleep(wait);
      this.checkpoint();
      // start times travel in whole seconds (terminal-modbus PROTOCOL.md §4): round up so ours is the terminal's
      this.startAtMs = Math.ceil(Math.max(this.startAtMs, this.ctx.clock.now() + this.ctx.policy.startLeadMs) / 1000) * 1000;
      const units = await this.ctx.unitsOn([...new Set(plan.map((p) => p.gatewayId))]);
      await Promise.all(plan.map(async (p) => {
        try {
          await this.start(p.gatewayId, p.rows, p.clip, units.get(p.gatewayId) ?? 0, false);
        } finally {
          busStarted.get(p.gatewayId)?.resolve();
        }
      }));
    } finally {
      for (const d of busStarted.values()) d.resolve();
    }
    // the terminals playing are marked played as they finish while the late ones are still being transferred to (a
    // long signal's transfer to one terminal takes minutes); the run ends when both are done
    let retried = false;
    const late = Promise.all([retrying, ...this.lateWork]);
    late.catch(() => undefined);
    void late.finally(() => {
      retried = true;
      this.wake?.();
    }).catch(() => undefined);
    await this.playThrough(() => !retried);
    await late;
    this.checkpoint();
    await this.playThrough(() => false);
  }

  /**
   * The first round at the broadcast's own class; the retries one class lower, so that they never hold up the
   * synchronised start and its verification on the same bus.
   */
  private transferPriority(): { priority: PriorityClass; retry: PriorityClass } {
    return this.b.emergency ? { priority: 'emergency', retry: 'command' } : { priority: 'transfer', retry: 'transfer' };
  }

  /** What a transfer round did to the rows of its terminals. */
  private transferRound(clip: ClipVariant): (out: TransferOutcome, last: boolean) => Promise<void> {
    const id = (t: number): number => this.ledger.ofTerminal(t)?.id as number;
    return async (out, last) => {
      this.checkpoint();
      this.ledger.move(out.ready.map(id), 'ready', null, { terminalClipId: clip.clipId });
      for (const t of out.ready) this.ctx.stored?.(t, clip.clipId);
      for (const f of out.failed) this.ledger.move([id(f.key)], 'failed', f.reason.slice(0, 255));
      if (last) for (const f of out.unreachable) this.ledger.move([id(f.key)], 'unreachable', f.reason.slice(0, 255));
      await this.flush();
    };
  }

  /** The first transfer round on every bus; returns, per bus, the retries of the terminals it could not reach. */
  /**
   * The first transfer round on every bus, which the synchronised start waits for — unless most terminals hold the
   * clip already (a provisioned tone): then they do not wait minutes for a long signal's transfer to the few that lack
   * it, which is stored beside their play and started on its own (after its bus's start, `started`).
   */
  private async transfer(plan: { gatewayId: number; rows: LedgerRow[]; clip: ClipVariant }[], started: (gatewayId: number) => Promise<void>): Promise<LateTransfer[]> {
    const { priority } = this.transferPriority();
    // a terminal known to hold the clip (a tone stored beforehand) is ready at once: not even the driver's check
    const held = (p: { clip: ClipVariant }, r: LedgerRow): boolean => (r.state === 'pending' || r.state === 'transferring') && (this.ctx.holds?.(r.terminalId, p.clip.clipId) ?? false);
    for (const p of plan) this.ledger.move(p.rows.filter((r) => held(p, r)).map((r) => r.id), 'ready', null, { terminalClipId: p.clip.clipId });
    const todo = plan.map((p) => ({ ...p, rows: p.rows.filter((r) => r.state === 'pending' || r.state === 'transferring'), othersWait: p.rows.some((r) => r.state === 'ready') }));
    this.ledger.move(todo.flatMap((p) => p.rows.map((r) => r.id)), 'transferring');
    await this.flush();
    const waiting = todo.reduce((n, p) => n + p.rows.length, 0);
    const ready = plan.reduce((n, p) => n + p.rows.filter((r) => r.state === 'ready').length, 0);
    if (ready > 0 && ready >= waiting) {
      for (const p of todo) {
        if (p.rows.length > 0) this.later(this.storeAndStart(p.gatewayId, p.rows.map((r) => r.terminalId), p.clip, started(p.gatewayId)));
      }
      return [];
    }
    const lates = await Promise.all(
      todo.map(async (p) => {
        const first = await firstTransfer(
          this.ctx.link(p.gatewayId), p.rows.map((r) => r.terminalId), p.clip, priority, this.ctx.policy.backoffMs, this.transferRound(p.clip), (t) => this.ctx.offline(t),
          p.othersWait,
        );
        this.checkpoint();
        return { gatewayId: p.gatewayId, clip: p.clip, retry: first.late };
      }),
    );
    this.checkpoint();
    return lates;
  }

  /** A terminal that did not answer is tried again a few times before it is called unreachable; stored, it is started. */
  private async retryLate(l: LateTransfer, busStarted: Promise<void>): Promise<void> {
    const round = this.transferRound(l.clip);
    await l.retry(this.transferPriority().retry, this.ctx.clock, async (out, last) => {
      await round(out, last);
      if (out.ready.length === 0) return;
      await busStarted;
      this.checkpoint();
      const rows = out.ready.map((t) => this.ledger.ofTerminal(t)).filter((r): r is LedgerRow => r !== undefined);
      await this.start(l.gatewayId, rows, l.clip, 0, true);
    });
  }

  private command(clip: ClipVariant, startAt: number | undefined): PlayCommand {
    const b = this.b;
    return {
      code: 'play', source: 'stored', clipId: clip.clipId, priority: b.priority, broadcastClass: b.broadcastClass, repeat: b.repeat, volume: b.volume,
      startAt: startAt === undefined ? undefined : new Date(startAt), endAt: b.endAt, broadcastId: b.broadcastId,
    };
  }

  ours(clipId: number | null): OurBroadcast {
    return { broadcastId: this.b.broadcastId, clipId, priority: this.b.priority, broadcastClass: this.b.broadcastClass, startAt: this.startAtMs };
  }

  /** The veto of the priority rules on a start, or null; remembers what the start will interrupt. */
  private judge(terminalId: number, before: TerminalStatus | null, interrupts: Map<number, PlayingNow>): string | null {
    const read: PlayingNow | null = before && isBroadcasting(before) && before.broadcastId !== this.b.broadcastId ? { broadcastId: before.broadcastId, priority: before.priority } : null;
    const known = read ?? this.ctx.playingNow(terminalId, this.b.broadcastId);
    if (!known) return null;
    // a status swept a while ago names what the start may interrupt, but only a fresh read or the engine's own
    // knowledge may keep a terminal from being started (the terminal itself refuses what it must)
    const other = known.fresh || read ? known : null;
    if (!other) {
      interrupts.set(terminalId, known);
      return null;
    }
    if (other.priority < this.b.priority) return `outranked: ${other.broadcastId ?? 'a session'} plays at priority ${other.priority}`;
    if (other.priority === this.b.priority && this.ctx.policy.equalPriority === 'first-wins') {
      return `equal priority ${other.priority}: ${other.broadcastId ?? 'a session'} plays and keeps the terminal (first-wins)`;
    }
    interrupts.set(terminalId, other);
    return null;
  }

  /**
   * Starts the ready rows of a bus. `late`: terminals stored after the synchronised start went out — read first (the
   * bus-wide start reached them too), started on their own if they do not play it.
   */
  private async start(gatewayId: number, rows: LedgerRow[], clip: ClipVariant, unitsOnBus: number, late: boolean): Promise<void> {
    const ready = rows.filter((r) => r.state === 'ready');
    if (ready.length === 0) return;
    const toStart = ready.filter((r) => !late && !r.startSentAt).map((r) => r.terminalId);
    const readFirst = ready.filter((r) => late || r.startSentAt).map((r) => r.terminalId);
    const interrupts = new Map<number, PlayingNow>();
    const id = (t: number): number => this.ledger.ofTerminal(t)?.id as number;
    if (readFirst.length > 0 && !late) {
      // a start sent before a restart: the driver no longer knows that broadcast id, so the terminal is recognised by
      // what it plays (clip, priority, class) — read it once that start has begun (start times are whole seconds)
      const sent = Math.max(...ready.filter((r) => r.startSentAt).map((r) => (r.startSentAt as Date).getTime()));
      await this.ctx.clock.sleep(sent + this.ctx.policy.startLeadMs + 1000 - this.ctx.clock.now());
      this.checkpoint();
    }
    // a terminal verified is `playing` at once (the live view shows it), not when its whole bus is done
    const playing = (t: number, s: TerminalStatus): void => {
      const r = this.ledger.ofTerminal(t) as LedgerRow;
      if (r.state !== 'ready') return;
      const at = this.ctx.clock.now();
      if (s.uptimeSeconds !== null) this.bootAt.set(r.id, at - s.uptimeSeconds * 1000);
      const other = interrupts.get(t) ?? null;
      this.ledger.move([r.id], 'playing', null, { verifiedAt: new Date(at), ...(other ? { preemptedBroadcastId: other.broadcastId, preemptedPriority: other.priority } : {}) });
      this.endsAt.set(r.id, this.endOf(late ? Math.max(this.startAtMs, at) : this.startAtMs, clip.durationMs));
      this.flushSoon();
      // a terminal started late: the play-through's next wake-up may have to come sooner
      if (late) this.wake?.();
    };
    // rows still being transferred to that the bus-wide start reaches too (found once, when it is about to go out)
    let reached: number[] = [];
    let busSequence: number | null = null;
    const out = await startPhase(
      this.ctx.link(gatewayId),
      {
        command: this.command(clip, this.startAtMs),
        ours: this.ours(clip.clipId),
        priority: this.b.emergency ? 'emergency' : 'command',
        toStart,
        wholeBus: !late && this.wholeBus(gatewayId, rows, unitsOnBus) && readFirst.length === 0,
        readFirst,
        deadline: Math.min(this.b.endAt.getTime(), this.startAtMs + this.ctx.policy.retryWindowMs),
        windowEnd: this.b.endAt.getTime(),
        backoffMs: this.ctx.policy.backoffMs,
        sameBlockWindowMs: this.ctx.policy.sameBlockWindowMs,
        maxSilences: this.ctx.policy.maxSilences,
        mayStart: (t, before) => this.judge(t, before, interrupts),
        beforeSend: async (keys, busWide) => {
          const at = new Date(this.ctx.clock.now());
          for (const k of keys) {
            const r = this.ledger.ofTerminal(k) as LedgerRow;
            this.ledger.patch([r.id], { startSentAt: at, attempts: (r.attempts ?? 0) + 1 });
          }
          // a bus-wide start reaches the terminals still being transferred to as well: after a restart they are read
          // before they are started
          if (busWide) {
            reached = this.ledger.rows().filter((r) => r.state === 'transferring' && !r.startSentAt && this.ctx.locate(r.terminalId)?.gatewayId === gatewayId).map((r) => r.id);
            this.ledger.patch(reached, { startSentAt: at });
          }
          await this.flush();
        },
        onSent: (keys, sequence, busWide) => {
          // the start's sequence, so that after a restart a terminal idle again whose last command is it counts as started
          // (a copy of a lost bus-wide start is the same block: nothing new to record)
          if (busWide && sequence === busSequence) return;
          if (busWide) busSequence = sequence;
          this.ledger.patch([...keys.map(id), ...(busWide ? reached : [])], { startSequence: sequence });
          this.flushSoon();
        },
        sentBefore: (t) => this.ledger.ofTerminal(t)?.startSequence ?? null,
        stopped: () => this.cancelled || this.ctx.halted(),
        suspect: (t) => this.ctx.offline(t),
        onPlaying: playing,
      },
      this.ctx.clock,
    );
    this.checkpoint();
    const preempted: { other: string; terminalId: number }[] = [];
    // every key in out.playing went `playing` as it was verified (onPlaying)
    for (const p of out.playing) {
      const other = interrupts.get(p.key)?.broadcastId;
      if (other) preempted.push({ other, terminalId: p.key });
    }
    // believed to hold the clip but refused it as not stored: store it now and start it late, beside the others
    const missing = late ? [] : out.clipMissing.map((f) => f.key);
    for (const f of late ? [...out.failed, ...out.clipMissing] : out.failed) this.ledger.move([id(f.key)], 'failed', f.reason.slice(0, 255));
    for (const f of out.unreachable) this.ledger.move([id(f.key)], 'unreachable', f.reason.slice(0, 255));
    for (const t of missing) this.ctx.lacks?.(t, clip.clipId);
    this.ledger.move(missing.map(id), 'transferring');
    await this.flush();
    if (missing.length > 0) this.later(this.storeAndStart(gatewayId, missing, clip));
    for (const p of preempted) await this.ctx.preempted(p.other, p.terminalId, this.b.broadcastId);
  }

  /** Late work the run waits for beside the retries; a failure (a cancel) is the run's to see, not an unhandled rejection. */
  private later(work: Promise<void>): void {
    work.catch(() => undefined);
    this.lateWork.push(work);
  }

  /** Terminals without the clip while the others start: transferred (with retries), then started on their own after `after`. */
  private async storeAndStart(gatewayId: number, terminalIds: number[], clip: ClipVariant, after: Promise<void> = Promise.resolve()): Promise<void> {
    const { retry } = this.transferPriority();
    const round = this.transferRound(clip);
    await transferWithRetries(this.ctx.link(gatewayId), terminalIds, clip, retry, retry, this.ctx.policy.backoffMs, this.ctx.clock, async (out, last) => {
      await round(out, last);
      if (out.ready.length === 0) return;
      await after;
      this.checkpoint();
      const rows = out.ready.map((t) => this.ledger.ofTerminal(t)).filter((r): r is LedgerRow => r !== undefined);
      await this.start(gatewayId, rows, clip, 0, true);
    });
  }

  /**
   * One bus-wide start may be used when this broadcast targets every enabled terminal of the bus with one clip variant
   * and none has been started yet: terminals whose transfer failed hear it too, and refuse it or play it.
   */
  private wholeBus(gatewayId: number, rows: LedgerRow[], unitsOnBus: number): boolean {
    const onBus = this.ledger.rows().filter((r) => this.ctx.locate(r.terminalId)?.gatewayId === gatewayId);
    return onBus.length === unitsOnBus && onBus.length === rows.length && onBus.every((r) => !r.startSentAt && r.state !== 'playing');
  }

  /** When a play that began at `from` ends: repeat × one play, within the window (repeat 0: the window's end). */
  private endOf(from: number, durationMs: number): number {
    const windowEnd = this.b.endAt.getTime();
    if (this.b.repeat === 0 || durationMs === 0) return windowEnd;
    return Math.min(windowEnd, from + durationMs * this.b.repeat);
  }

  /**
   * Each terminal read when its play should have ended: still playing ours (a late start, a clock a little behind) →
   * read again a second later, for at most this.ctx.policy.overtimeMs; booted since the read that verified it (or, after a restart of
   * ours, up for less time than it has been playing) → it restarted during the play (power cut, watchdog) and did not
   * play it through: failed with that reason; otherwise played. One that
   * does not answer two reads was verified playing and its time is over: played, with that said.
   */
  private async endCheck(rows: LedgerRow[]): Promise<{ played: Map<string | null, LedgerRow[]>; restarted: { row: LedgerRow; reason: string }[] }> {
    const played = new Map<string | null, LedgerRow[]>();
    const restarted: { row: LedgerRow; reason: string }[] = [];
    const add = (reason: string | null, r: LedgerRow): void => void played.set(reason, [...(played.get(reason) ?? []), r]);
    await Promise.all(rows.map(async (r) => {
      const where = this.ctx.locate(r.terminalId);
      let s: TerminalStatus | null = null;
      let error = 'its bus is closed';
      for (let i = 0; where && i < 2 && s === null; i++) {
        s = await this.ctx.link(where.gatewayId).status(r.terminalId, 'command').catch((e: unknown) => ((error = failureOf(e).message), null));
      }
      const now = this.ctx.clock.now();
      if (s === null) return add(`played as verified; its end was not read: ${error}`.slice(0, 255), r);
      const end = this.endsAt.get(r.id) ?? now;
      const first = this.overtime.get(r.id) ?? end;
      if (isBroadcasting(s) && showsOurs(s, { ...this.ours(r.terminalClipId ?? null), startAt: 0 }) && now < this.b.endAt.getTime() && now - first < this.ctx.policy.overtimeMs) {
        this.overtime.set(r.id, first);
        this.endsAt.set(r.id, now + 1000);
        return;
      }
      const playedFor = r.verifiedAt ? now - r.verifiedAt.getTime() : 0;
      // booted since the read that verified it (known in this process), or up for less time than it has been playing
      const booted = s.uptimeSeconds === null ? null : now - s.uptimeSeconds * 1000;
      const before = this.bootAt.get(r.id);
      if (booted !== null && (before !== undefined ? booted > before + this.ctx.policy.restartSlackMs : booted > now - playedFor + this.ctx.policy.restartSlackMs)) {
        restarted.push({ row: r, reason: `restarted during the play: up ${s.uptimeSeconds} s at its end, verified playing ${Math.round(playedFor / 1000)} s before` });
        return;
      }
      add(null, r);
    }));
    return { played, restarted };
  }

  /** Marks the terminals playing `played` as they finish; returns when none plays, none waits to resume, and `more()` is false. */
  private async playThrough(more: () => boolean): Promise<void> {
    for (;;) {
      this.checkpoint();
      const now = this.ctx.clock.now();
      const due = this.ledger.inState('playing').filter((r) => (this.endsAt.get(r.id) ?? 0) <= now);
      if (due.length > 0) {
        const ended = await this.endCheck(due);
        this.checkpoint();
        const at = new Date(this.ctx.clock.now());
        for (const [reason, rows] of ended.played) this.ledger.move(rows.map((r) => r.id), 'played', reason, { finishedAt: at });
        for (const { row, reason } of ended.restarted) this.ledger.move([row.id], 'failed', reason, { finishedAt: at });
        await this.flush();
        for (const r of [...[...ended.played.values()].flat(), ...ended.restarted.map((x) => x.row)]) {
          if (r.preemptedBroadcastId) await this.ctx.ended(r.preemptedBroadcastId, r.terminalId);
        }
      }
      const playing = this.ledger.inState('playing');
      const waiting = now < this.b.endAt.getTime() && this.ledger.inState('preempted').length > 0;
      if (playing.length === 0 && !waiting && !more()) return;
      const next = Math.min(this.b.endAt.getTime(), ...playing.map((r) => this.endsAt.get(r.id) ?? now));
      await Promise.race([this.ctx.clock.sleep(Math.max(0, next - now)), new Promise<void>((resolve) => (this.wake = resolve))]);
      this.wake = null;
    }
  }

  /** What preempted us on a terminal has ended: start ours again there if the window is still open. */
  async resume(terminalId: number, link: BusLink): Promise<void> {
    const r = this.ledger.ofTerminal(terminalId);
    const now = this.ctx.clock.now();
    if (!r || r.state !== 'preempted' || now >= this.b.endAt.getTime() || this.cancelled) return;
    const clipId = r.terminalClipId ?? null;
    const ours = { ...this.ours(clipId), startAt: 0 };
    try {
      await link.command(terminalId, { ...this.command({ clipId: clipId ?? 0, codec: '', digest: '', data: new Uint8Array(), durationMs: 0 }, undefined) }, 'command');
      const s = await link.status(terminalId, 'command');
      if (this.cancelled || r.state !== 'preempted') return;
      if (s.broadcastId === ours.broadcastId && isBroadcasting(s)) {
        this.ledger.move([r.id], 'playing', null, { verifiedAt: new Date(this.ctx.clock.now()) });
        this.endsAt.set(r.id, this.endOf(this.ctx.clock.now(), this.durationMs.get(r.id) ?? 0));
        await this.flush();
        this.wake?.();
      }
    } catch {
      // stays preempted: the window's end settles it
    }
  }

  /** Another broadcast took the terminal. */
  async preemptedBy(terminalId: number): Promise<void> {
    const r = this.ledger.ofTerminal(terminalId);
    if (!r || r.state !== 'playing' || this.cancelled) return;
    this.ledger.move([r.id], 'preempted');
    await this.flush();
    this.wake?.();
  }

  /** Ends the play-through wait at once (a cancel). */
  interrupt(): void {
    this.wake?.();
  }
}
