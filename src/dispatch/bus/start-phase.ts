/**
 * Start, verify, retry: the synchronised start of one bus and what became of each key. Every key is followed on its
 * own — read, then started again or read again as its answer asks — so a retry waits only for the requests still
 * ahead of it on the bus, not for a whole round. A bus-wide start that no terminal shows was lost on the line: it goes
 * again at once as the same signed block (a unit that took it refuses the copy as a replay), before the other reads.
 * A terminal whose last command is one of our starts took it (after a short clip it may be idle again by the time it
 * is read): it is never started a second time — nor after a restart, when the start's sequence was recorded (sentBefore).
 */
import { preempts, PRIORITY } from '../../../firmware-protocols/codes/priority';
import type { Clock as ServerClock } from '../../common/clock';

/** The part of the server's Clock the plan uses. */
type Clock = Pick<ServerClock, 'now' | 'sleep'>;
import { failureOf, type PriorityClass, type TerminalStatus } from '../../field/field-port';
import {
  isBroadcasting,
  showsOurs,
  type BusLink,
  type KeyFailure,
  type OurBroadcast,
  type PlayCommand,
} from './bus-link';
import { meaningOf } from './field-failures';
import { Lane } from './lane';

export interface StartOptions {
  command: PlayCommand;
  ours: OurBroadcast;
  priority: PriorityClass;
  /** Keys to start now, and whether they are every unit of the bus (then one bus-wide broadcast starts them). */
  toStart: number[];
  wholeBus: boolean;
  /** Keys whose start may already have been sent (after a restart): read first, start only those not playing it. */
  readFirst: number[];
  /** Give up retrying at this time (ms). */
  deadline: number;
  /**
   * A key first heard from after `deadline` (it was silent or busy until then) still gets its first own start until
   * this time — the broadcast's end — rather than none at all. Default: `deadline`.
   */
  windowEnd?: number;
  /** Pauses before the second, third … own start of a key, ms; the last repeats (its first own start goes at once). */
  backoffMs: readonly number[];
  /** How long after the first a lost bus-wide start may go again as the same signed block (DispatchPolicy). */
  sameBlockWindowMs: number;
  /** Called before each (re)start of a key, with the status read before it when there is one; a reason = do not start it. */
  mayStart?: (key: number, before: TerminalStatus | null) => string | null;
  /** Called once the start is about to be sent to keys, bus-wide or not (for a write-ahead record). */
  beforeSend?: (keys: number[], busWide: boolean) => Promise<void>;
  /** Called once a start went out to keys, with the sequence number the driver signed it with. */
  onSent?: (keys: number[], sequence: number, busWide: boolean) => void;
  /** The sequence of a start of ours sent to the key before a restart, if one was recorded. */
  sentBefore?: (key: number) => number | null;
  /**
   * Where a start of ours sent to the key before a restart or a takeover lies when its own sequence was not recorded:
   * above `above` (recorded just before it went out) and not above `upTo` (every number signed since the restart is
   * greater). A terminal idle whose last accepted sequence lies there took it.
   */
  signedBefore?: (key: number) => { above: number; upTo: number } | null;
  /** Stops early (a cancel). */
  stopped?: () => boolean;
  /** Told of each key as soon as it is verified, with the status that showed it. */
  onPlaying?: (key: number, status: TerminalStatus) => void;
  /** Keys believed offline (monitoring): read after the others, so their timeouts delay no live terminal. */
  suspect?: (key: number) => boolean;
  /** A key that does not answer this many reads in a row is unreachable at once (default 3). */
  maxSilences?: number;
}

export interface StartOutcome {
  playing: { key: number; before: TerminalStatus | null }[];
  failed: KeyFailure[];
  /** Refused a play as not holding the clip (it was believed stored): no start can succeed until it is stored again. */
  clipMissing: KeyFailure[];
  unreachable: KeyFailure[];
  /** Play commands sent, bus-wide and unicast. */
  sent: { bus: number; unicast: number };
  reads: number;
}

const describe = (s: TerminalStatus): string =>
  isBroadcasting(s)
    ? `plays ${s.broadcastId ?? `clip ${s.clipId}`} at priority ${s.priority}`
    : `does not play it (state ${s.state}, priority ${s.priority})`;

/** The signed starts sent on the bus, and what a status shows of them. */
export class SentStarts {
  /** Sequences of the signed starts sent (bus-wide, and per key): a terminal whose last command is one of them took ours. */
  private readonly bus = new Set<number>();
  private readonly own = new Map<number, Set<number>>();
  /** The last command sequence read on a key before a unicast start whose answer was lost (the terminal may have taken it). */
  private readonly lost = new Map<number, number>();
  private readonly lastRead = new Map<number, number>();

  constructor(
    private readonly sentBefore?: (key: number) => number | null,
    private readonly signedBefore?: (key: number) => { above: number; upTo: number } | null,
  ) {}

  /** The key's last command was signed by the server before, after it recorded our start as sent: that start. */
  private before(k: number, seq: number): boolean {
    const range = this.signedBefore?.(k);
    return range !== null && range !== undefined && seq > range.above && seq <= range.upTo;
  }

  busWide(sequence: number): void {
    this.bus.add(sequence);
  }

  ownStart(k: number, sequence: number): void {
    this.own.set(k, (this.own.get(k) ?? new Set<number>()).add(sequence));
  }

  read(k: number, s: TerminalStatus): void {
    this.lastRead.set(k, s.lastCommandSequence);
  }

  /** A unicast start got no answer: the terminal may have taken it. */
  lostStart(k: number): void {
    const seq = this.lastRead.get(k);
    if (seq !== undefined && !this.lost.has(k)) this.lost.set(k, seq);
  }

  tookOurs(k: number, s: TerminalStatus): boolean {
    const seq = s.lastCommandSequence;
    return (
      !isBroadcasting(s) &&
      seq > 0 &&
      (this.bus.has(seq) ||
        (this.own.get(k)?.has(seq) ?? false) ||
        this.sentBefore?.(k) === seq ||
        this.before(k, seq) ||
        // sequences only grow, and only this controller signs: one taken since the lost start's read is that start
        (this.lost.has(k) && seq > (this.lost.get(k) as number)))
    );
  }
}

/** One start phase; `run` does it. */
class StartPhase {
  readonly out: StartOutcome = {
    playing: [],
    failed: [],
    clipMissing: [],
    unreachable: [],
    sent: { bus: 0, unicast: 0 },
    reads: 0,
  };
  private readonly lane = new Lane();
  private readonly before = new Map<number, TerminalStatus | null>();
  private readonly refusedBy = new Map<number, string>();
  private readonly silences = new Map<number, number>();
  private readonly ownStarts = new Map<number, number>();
  private readonly sent: SentStarts;
  /**
   * The bus-wide start: sent `generation` times, the first at `at`; `confirmed` = the latest generation a terminal was
   * read showing. Copies go only while the driver still hands out the very block first sent (sameBlockWindowMs from
   * the first): a block signed anew would be a second start to every unit that took the first.
   */
  private busWide: { command: PlayCommand; at: number } | null = null;
  private generation = 0;
  private confirmed = -1;
  private again: Promise<void> = Promise.resolve();
  private open = 0;
  private settleAll: () => void = () => undefined;
  private abort: (e: unknown) => void = () => undefined;

  constructor(
    private readonly link: BusLink,
    private readonly o: StartOptions,
    private readonly clock: Clock,
  ) {
    this.sent = new SentStarts(o.sentBefore, o.signedBefore);
  }

  async run(): Promise<StartOutcome> {
    const o = this.o;
    const toStart = o.toStart.filter((k) => this.gate(k));
    const byBus = o.wholeBus && toStart.length > 0 && toStart.length === o.toStart.length;
    if (toStart.length > 0 && !o.stopped?.()) await o.beforeSend?.(toStart, byBus);
    if (byBus && !o.stopped?.()) await this.sendBusWide(this.command());
    // each key on its own from here; the lane puts likely answers first and the suspect last
    const keys = [
      ...o.readFirst.map((k) => ({ k, startNow: false })),
      ...toStart.map((k) => ({ k, startNow: !byBus })),
    ];
    this.open = keys.length;
    if (this.open === 0) return this.out;
    const done = new Promise<void>((resolve, reject) => {
      this.settleAll = resolve;
      this.abort = reject;
    });
    for (const { k, startNow } of keys.sort((a, b) => this.rank(a.k) - this.rank(b.k))) {
      if (startNow) this.startOwn(k);
      else this.read(k);
    }
    await done;
    return this.out;
  }

  /** A key's follow-up is over. */
  private settle(): void {
    if (--this.open === 0) this.settleAll();
  }

  /** Runs a step of a key's follow-up; what throws ends the phase with that error. */
  private guard(step: () => Promise<void> | void): void {
    try {
      void Promise.resolve(step()).catch(this.abort);
    } catch (e) {
      this.abort(e);
    }
  }

  private command(): PlayCommand {
    return this.clock.now() < this.o.ours.startAt ? this.o.command : { ...this.o.command, startAt: undefined };
  }

  private rank(k: number): number {
    return (this.o.suspect?.(k) ? 2 : 0) + Math.min(this.silences.get(k) ?? 0, 1);
  }

  /** Whether the key may be started now; a veto is recorded as its failure. */
  private gate(k: number): boolean {
    const veto = this.o.mayStart?.(k, this.before.get(k) ?? null) ?? null;
    if (veto !== null) this.out.failed.push({ key: k, reason: veto });
    return veto === null;
  }

  private sendBusWide(c: PlayCommand): Promise<void> {
    this.generation++;
    this.out.sent.bus++;
    this.busWide ??= { command: c, at: this.clock.now() };
    return this.lane.run(-1, async () => {
      const sequence = await this.link.commandAll(c, this.o.priority).catch(() => null);
      if (sequence === null) return;
      this.sent.busWide(sequence);
      this.o.onSent?.(this.o.toStart, sequence, true);
    });
  }

  private readAfterAgain(k: number): void {
    this.guard(async () => {
      await this.again;
      this.read(k);
    });
  }

  private read(k: number): void {
    if (this.o.stopped?.()) return this.settle();
    const seen = this.generation;
    this.out.reads++;
    void this.lane
      .run(this.rank(k), async () => {
        const r = await this.link.status(k, this.o.priority).then(
          (s) => ({ s, error: null }),
          (e: unknown) => ({ s: null, error: failureOf(e).message }),
        );
        if (r.s) this.answered(k, seen, r.s);
        else this.silent(k, r.error);
      })
      .catch(this.abort);
  }

  /** A read got no answer: read again, or unreachable after maxSilences in a row or past the deadline. */
  private silent(k: number, error: string): void {
    if (this.o.stopped?.()) return this.settle();
    const n = (this.silences.get(k) ?? 0) + 1;
    this.silences.set(k, n);
    if (n < (this.o.maxSilences ?? 3) && this.clock.now() <= this.o.deadline) return this.read(k);
    this.out.unreachable.push({ key: k, reason: error });
    this.settle();
  }

  /** What a read's answer asks for next; runs before the read gives up its place in the lane. */
  private answered(k: number, seen: number, s: TerminalStatus): void {
    if (this.o.stopped?.()) return this.settle();
    this.sent.read(k, s);
    if (showsOurs(s, this.o.ours) || this.sent.tookOurs(k, s)) {
      if (seen === this.generation) this.confirmed = Math.max(this.confirmed, seen);
      this.out.playing.push({ key: k, before: this.before.get(k) ?? null });
      this.o.onPlaying?.(k, s);
      return this.settle();
    }
    this.silences.delete(k);
    if (!this.before.has(k)) this.before.set(k, s);
    this.refusedBy.set(k, this.refusedBy.get(k) ?? describe(s));
    // read before the latest bus-wide start went out: read again after it
    if (seen < this.generation) return this.readAfterAgain(k);
    if (this.busWideLost(s)) {
      // no terminal shows the latest bus-wide start and this one would have taken it: it was lost on the line
      this.again = this.sendBusWide((this.busWide as { command: PlayCommand }).command);
      return this.readAfterAgain(k);
    }
    this.startAgain(k);
  }

  /** The latest bus-wide start shows on no terminal, this one would have taken it, and a copy is still the same block. */
  private busWideLost(s: TerminalStatus): boolean {
    const couldHaveTaken = s.priority === PRIORITY.idle || preempts(this.o.ours.priority, s.priority);
    return (
      this.busWide !== null &&
      this.confirmed < this.generation &&
      couldHaveTaken &&
      this.clock.now() - this.busWide.at < this.o.sameBlockWindowMs
    );
  }

  /** The key's next own start after its backoff, unless past its window or vetoed (then failed). */
  private startAgain(k: number): void {
    const o = this.o;
    const own = this.ownStarts.get(k) ?? 0;
    const pause = own === 0 ? 0 : (o.backoffMs[Math.min(own - 1, o.backoffMs.length - 1)] ?? 0);
    const limit = own === 0 ? Math.max(o.deadline, o.windowEnd ?? o.deadline) : o.deadline;
    if (this.clock.now() + pause > limit || !this.gate(k)) {
      if (!this.out.failed.some((f) => f.key === k))
        this.out.failed.push({ key: k, reason: this.refusedBy.get(k) ?? 'did not start' });
      return this.settle();
    }
    this.guard(async () => {
      if (pause > 0) await this.clock.sleep(pause);
      if (o.stopped?.()) return this.settle();
      await o.beforeSend?.([k], false);
      this.startOwn(k);
    });
  }

  /** A key's own start (unicast), then its read. */
  private startOwn(k: number): void {
    if (this.o.stopped?.()) return this.settle();
    this.ownStarts.set(k, (this.ownStarts.get(k) ?? 0) + 1);
    this.out.sent.unicast++;
    void this.lane
      .run(this.rank(k), async () => {
        try {
          const sequence = await this.link.command(k, this.command(), this.o.priority);
          if (sequence !== null) {
            this.sent.ownStart(k, sequence);
            this.o.onSent?.([k], sequence, false);
          }
          this.refusedBy.delete(k);
        } catch (e) {
          const failure = failureOf(e);
          const meaning = meaningOf(failure);
          if (meaning === 'clip-missing') {
            this.out.clipMissing.push({ key: k, reason: failure.message });
            return this.settle();
          }
          this.refusedBy.set(k, failure.message);
          if (meaning === 'no-reply') this.sent.lostStart(k);
        }
        this.read(k);
      })
      .catch(this.abort);
  }
}

export function startPhase(link: BusLink, o: StartOptions, clock: Clock): Promise<StartOutcome> {
  return new StartPhase(link, o, clock).run();
}
