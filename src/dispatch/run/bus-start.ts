/**
 * The start of one bus's ready terminals within a run: the priority rules' veto, the write-ahead record of each start,
 * the start phase itself (src/dispatch/bus/start-phase.ts), and what became of each terminal in the ledger. A terminal
 * believed to hold the clip that refuses it as not stored is handed to the late starts (`storeLate`).
 */
import type { TerminalStatus } from '../../field/field-port';
import { isBroadcasting, startPhase, type StartOptions, type StartOutcome } from '../bus-plan';
import type { LedgerRow } from '../delivery-ledger';
import type { ClipVariant, PlayingNow } from './run-context';
import type { RunState } from './run-state';

/** One start of some rows of a bus. `late`: stored after the synchronised start went out — read first, started on their own. */
interface BusStartJob {
  gatewayId: number;
  rows: LedgerRow[];
  clip: ClipVariant;
  unitsOnBus: number;
  late: boolean;
  /** What each start will interrupt, by terminal. */
  interrupts: Map<number, PlayingNow>;
  /** Rows still being transferred to that the bus-wide start reaches too (found once, when it is about to go out). */
  reached: number[];
  busSequence: number | null;
}

export class BusStart {
  constructor(
    private readonly run: RunState,
    private readonly storeLate: (gatewayId: number, terminalIds: number[], clip: ClipVariant) => void,
  ) {}

  /** Starts the ready rows of a bus (see BusStartJob for `late`). */
  async start(
    gatewayId: number,
    rows: LedgerRow[],
    clip: ClipVariant,
    unitsOnBus: number,
    late: boolean,
  ): Promise<void> {
    const ready = rows.filter((r) => r.state === 'ready');
    if (ready.length === 0) return;
    const job: BusStartJob = {
      gatewayId,
      rows,
      clip,
      unitsOnBus,
      late,
      interrupts: new Map(),
      reached: [],
      busSequence: null,
    };
    const toStart = ready.filter((r) => !late && !r.startSentAt).map((r) => r.terminalId);
    const readFirst = ready.filter((r) => late || r.startSentAt).map((r) => r.terminalId);
    if (readFirst.length > 0 && !late) {
      // a start sent before a restart: the driver no longer knows that broadcast id, so the terminal is recognised by
      // what it plays (clip, priority, class) — read it once that start has begun (start times are whole seconds)
      const sent = Math.max(...ready.filter((r) => r.startSentAt).map((r) => (r.startSentAt as Date).getTime()));
      await this.run.ctx.clock.sleep(sent + this.run.ctx.policy.startLeadMs + 1000 - this.run.ctx.clock.now());
      this.run.checkpoint();
    }
    const out = await startPhase(
      this.run.ctx.link(gatewayId),
      this.options(job, toStart, readFirst),
      this.run.ctx.clock,
    );
    this.run.checkpoint();
    await this.record(job, out);
  }

  private options(job: BusStartJob, toStart: number[], readFirst: number[]): StartOptions {
    const run = this.run;
    const b = run.broadcast;
    const policy = run.ctx.policy;
    return {
      command: run.command(job.clip, run.startAtMs),
      ours: run.ours(job.clip.clipId),
      priority: b.emergency ? 'emergency' : 'command',
      toStart,
      wholeBus: !job.late && this.wholeBus(job.gatewayId, job.rows, job.unitsOnBus) && readFirst.length === 0,
      readFirst,
      deadline: Math.min(b.endAt.getTime(), run.startAtMs + policy.retryWindowMs),
      windowEnd: b.endAt.getTime(),
      backoffMs: policy.backoffMs,
      sameBlockWindowMs: policy.sameBlockWindowMs,
      maxSilences: policy.maxSilences,
      mayStart: (t, before) => this.judge(t, before, job.interrupts),
      beforeSend: (keys, busWide) => this.beforeSend(job, keys, busWide),
      onSent: (keys, sequence, busWide) => this.onSent(job, keys, sequence, busWide),
      sentBefore: (t) => run.ledger.ofTerminal(t)?.startSequence ?? null,
      signedBefore: (t) => run.signedBefore(t, job.gatewayId),
      stopped: () => run.cancelled || run.ctx.halted(),
      suspect: (t) => run.ctx.offline(t),
      onPlaying: (t, s) => this.playing(job, t, s),
    };
  }

  /** The start is about to go out: recorded first, so that a restarted server reads the terminal before starting it again. */
  private async beforeSend(job: BusStartJob, keys: number[], busWide: boolean): Promise<void> {
    const run = this.run;
    const at = run.ctx.clock.date();
    // the start goes out after this write: its sequence, unknown yet, is above the floor recorded with it. A floor
    // recorded before stays: what the terminal took since is one of these starts (a prepare withdraws it,
    // in-doubt.ts transferLink), and a later floor would lose an earlier start that was taken and not recorded
    const command = run.command(job.clip, run.startAtMs);
    const sending = busWide ? [command, { ...command, startAt: undefined }] : [];
    const startFloor = run.ctx.sequenceFloor?.(sending) ?? null;
    for (const k of keys) {
      const r = run.ledger.ofTerminal(k) as LedgerRow;
      run.ledger.patch([r.id], {
        startSentAt: at,
        startFloor: r.startFloor ?? startFloor,
        attempts: (r.attempts ?? 0) + 1,
      });
    }
    // a bus-wide start reaches the terminals still being transferred to as well: after a restart they are read
    // before they are started
    if (busWide) {
      job.reached = run.ledger
        .rows()
        .filter(
          (r) =>
            r.state === 'transferring' && !r.startSentAt && run.ctx.locate(r.terminalId)?.gatewayId === job.gatewayId,
        )
        .map((r) => r.id);
      run.ledger.patch(job.reached, { startSentAt: at, startFloor });
    }
    // the record goes first or the start does not go at all: one sent without it could be sent again after a restart
    if (!(await run.flush())) throw new Error('the start could not be recorded as sent (database): not sent');
  }

  /**
   * The start's sequence, so that after a restart a terminal idle again whose last command is it counts as started
   * (a copy of a lost bus-wide start is the same block: nothing new to record).
   */
  private onSent(job: BusStartJob, keys: number[], sequence: number, busWide: boolean): void {
    if (busWide && sequence === job.busSequence) return;
    if (busWide) job.busSequence = sequence;
    this.run.ledger.patch([...keys.map((k) => this.run.idOf(k)), ...(busWide ? job.reached : [])], {
      startSequence: sequence,
    });
    this.run.flushSoon();
  }

  /** A terminal verified is `playing` at once (the live view shows it), not when its whole bus is done. */
  private playing(job: BusStartJob, t: number, s: TerminalStatus): void {
    const run = this.run;
    const r = run.ledger.ofTerminal(t) as LedgerRow;
    if (r.state !== 'ready') return;
    const at = run.ctx.clock.now();
    if (s.uptimeSeconds !== null) run.bootAt.set(r.id, at - s.uptimeSeconds * 1000);
    const other = job.interrupts.get(t) ?? null;
    run.ledger.move([r.id], 'playing', null, {
      verifiedAt: new Date(at),
      ...(other ? { preemptedBroadcastId: other.broadcastId, preemptedPriority: other.priority } : {}),
    });
    run.endsAt.set(r.id, run.endOf(job.late ? Math.max(run.startAtMs, at) : run.startAtMs, job.clip.durationMs));
    run.flushSoon();
    // what it cut into is told at once, not after the whole bus's start phase (a short alert may be over by then),
    // once the row naming it is written
    const cut = other?.broadcastId;
    if (cut)
      void run
        .flush()
        .then(() => run.ctx.preempted(cut, t, run.broadcastId))
        .catch(() => undefined);
    // a terminal started late: the play-through's next wake-up may have to come sooner
    if (job.late) run.wake?.();
  }

  /** What became of each terminal: failed, unreachable, or (lacking the clip) stored again and started late. */
  private async record(job: BusStartJob, out: StartOutcome): Promise<void> {
    const run = this.run;
    // every key in out.playing went `playing` as it was verified (onPlaying), and what it cut into was told then
    // believed to hold the clip but refused it as not stored: store it now and start it late, beside the others
    const missing = job.late ? [] : out.clipMissing.map((f) => f.key);
    for (const f of job.late ? [...out.failed, ...out.clipMissing] : out.failed)
      run.ledger.move([run.idOf(f.key)], 'failed', f.reason.slice(0, 255));
    for (const f of out.unreachable) run.ledger.move([run.idOf(f.key)], 'unreachable', f.reason.slice(0, 255));
    for (const t of missing) run.ctx.lacks?.(t, job.clip.clipId);
    run.ledger.move(
      missing.map((t) => run.idOf(t)),
      'transferring',
    );
    await run.flush();
    if (missing.length > 0) this.storeLate(job.gatewayId, missing, job.clip);
  }

  /** The veto of the priority rules on a start, or null; remembers what the start will interrupt. */
  private judge(terminalId: number, before: TerminalStatus | null, interrupts: Map<number, PlayingNow>): string | null {
    const b = this.run.broadcast;
    const read: PlayingNow | null =
      before && isBroadcasting(before) && before.broadcastId !== b.broadcastId
        ? { broadcastId: before.broadcastId, priority: before.priority }
        : null;
    const known = read ?? this.run.ctx.playingNow(terminalId, b.broadcastId);
    if (!known) return null;
    // a status swept a while ago names what the start may interrupt, but only a fresh read or the engine's own
    // knowledge may keep a terminal from being started (the terminal itself refuses what it must)
    const other = known.certain || read ? known : null;
    if (!other) {
      interrupts.set(terminalId, known);
      return null;
    }
    if (other.priority < b.priority)
      return `outranked: ${other.broadcastId ?? 'a session'} plays at priority ${other.priority}`;
    if (other.priority === b.priority && this.run.ctx.policy.equalPriority === 'first-wins') {
      return `equal priority ${other.priority}: ${other.broadcastId ?? 'a session'} plays and keeps the terminal (first-wins)`;
    }
    interrupts.set(terminalId, other);
    return null;
  }

  /**
   * One bus-wide start may be used when this broadcast targets every enabled terminal of the bus with one clip variant
   * and none has been started yet: terminals whose transfer failed hear it too, and refuse it or play it.
   */
  private wholeBus(gatewayId: number, rows: LedgerRow[], unitsOnBus: number): boolean {
    const onBus = this.run.ledger.rows().filter((r) => this.run.ctx.locate(r.terminalId)?.gatewayId === gatewayId);
    return (
      onBus.length === unitsOnBus &&
      onBus.length === rows.length &&
      onBus.every((r) => !r.startSentAt && r.state !== 'playing')
    );
  }
}
