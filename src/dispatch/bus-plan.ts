/**
 * The per-bus plan of a broadcast, free of Nest and the database so that the engine and the benchmarks run the same
 * code: clip transfer (broadcast chunks + selective repair, by the driver), a start (one bus-wide broadcast when every
 * unit of the bus is to start, else unicast), verification reads, and retries with backoff until a deadline. Terminals
 * are named by a numeric key (the registry's terminal id in the server, the unit id in a bench).
 */
import { preempts, PRIORITY } from '../../firmware-protocols/codes/priority';
import type { ClipToTransfer, PriorityClass, TerminalCommand, TerminalStatus } from '../field/field-commands';

export type PlayCommand = Extract<TerminalCommand, { code: 'play' }>;
export type StopCommand = Extract<TerminalCommand, { code: 'stop' }>;

/** One bus as the plan sees it. */
export interface BusLink {
  readonly id: string;
  transfer(keys: number[], clip: ClipToTransfer, priority: PriorityClass): Promise<{ stored: number[]; alreadyStored: number[]; failed: { key: number; reason: string }[] }>;
  /** A command to every unit of the bus at once (no reply); resolves to the signed block's sequence, null if unknown. */
  commandAll(command: PlayCommand | StopCommand, priority: PriorityClass): Promise<number | null>;
  /** A command to one key; resolves to the signed block's sequence, null if unknown. */
  command(key: number, command: PlayCommand | StopCommand, priority: PriorityClass): Promise<number | null>;
  status(key: number, priority: PriorityClass): Promise<TerminalStatus>;
}

export interface Sleeper {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** Whether a status shows our broadcast: started, or armed for a synchronised start still ahead. */
export interface Ours {
  broadcastId: string;
  /** Terminal clip id, priority and class: after a restart the driver cannot name a broadcast it did not command itself. */
  clipId: number | null;
  priority: number;
  broadcastClass: number;
  startAt: number;
}

export function showsOurs(s: TerminalStatus, o: Ours): boolean {
  // the terminal holds a session of ours: playing, or armed for a synchronised start (whole seconds on the wire)
  if (s.broadcastId === o.broadcastId) return true;
  return s.broadcastId === null && s.state === 5 && o.clipId !== null && s.clipId === o.clipId && s.priority === o.priority && s.broadcastClass === o.broadcastClass;
}

/** How long the same bus-wide command is sent as the same signed block (device-drivers SignedBlockCache keeps it 5 s). */
export const SAME_BLOCK_MS = 4_000;

export interface TransferOutcome {
  ready: number[];
  failed: { key: number; reason: string }[];
  unreachable: { key: number; reason: string }[];
}

// exception 0x43 (replay): the driver sent again a signed block the unit had already taken, after losing its answer — try again
const UNREACHABLE = /timeout|timed out|disconnected|no reply|no answer|failed to respond|backoff|backed off|deadline|exception 0x43/i;

export function isNoReply(reason: string): boolean {
  return UNREACHABLE.test(reason);
}

/** The terminal refused a play because it does not hold the clip (terminal-modbus PROTOCOL.md §5.3, exception 0x45). */
export function isClipMissing(reason: string): boolean {
  return /exception 0x45/i.test(reason);
}

/** Stores the clip on the keys; a bus that cannot be reached at all makes every key unreachable. */
export async function transferPhase(link: BusLink, keys: number[], clip: ClipToTransfer, priority: PriorityClass): Promise<TransferOutcome> {
  if (keys.length === 0) return { ready: [], failed: [], unreachable: [] };
  try {
    const r = await link.transfer(keys, clip, priority);
    const out: TransferOutcome = { ready: [...r.stored, ...r.alreadyStored], failed: [], unreachable: [] };
    for (const f of r.failed) (isNoReply(f.reason) ? out.unreachable : out.failed).push(f);
    return out;
  } catch (e) {
    const reason = (e as Error).message;
    return { ready: [], failed: [], unreachable: keys.map((key) => ({ key, reason })) };
  }
}

/**
 * The transfer with its retries: keys that did not answer are tried again after each pause of `backoffMs` (at
 * `retryPriority`, which the scheduler tries even on units it has backed off); `onRound` sees each round's outcome.
 */
export async function transferWithRetries(
  link: BusLink, keys: number[], clip: ClipToTransfer, priority: PriorityClass, retryPriority: PriorityClass, backoffMs: readonly number[], clock: Sleeper,
  onRound: (out: TransferOutcome, last: boolean) => Promise<void> | void = () => undefined,
): Promise<TransferOutcome> {
  const first = await firstTransfer(link, keys, clip, priority, backoffMs, onRound);
  const late = await first.late(retryPriority, clock, onRound);
  return { ready: [...first.out.ready, ...late.ready], failed: [...first.out.failed, ...late.failed], unreachable: late.unreachable };
}

/**
 * The first round of a transfer, and its retries as a separate step: the synchronised start goes ahead with the keys
 * the first round stored, while the keys it could not reach are tried again (`late`) without holding everyone else.
 */
export async function firstTransfer(
  link: BusLink, keys: number[], clip: ClipToTransfer, priority: PriorityClass, backoffMs: readonly number[],
  onRound: (out: TransferOutcome, last: boolean) => Promise<void> | void = () => undefined,
  /**
   * Keys believed offline (monitoring): left to the retries, so their time-outs hold up no one — unless all are and
   * `othersWait` is false (no other terminal of the bus waits for this round: trying them now costs no one).
   */
  suspect: (key: number) => boolean = () => false,
  othersWait = false,
): Promise<{ out: TransferOutcome; late: (retryPriority: PriorityClass, clock: Sleeper, onLateRound?: (out: TransferOutcome, last: boolean) => Promise<void> | void) => Promise<TransferOutcome> }> {
  const last = backoffMs.length === 0;
  const deferred = last || (keys.every(suspect) && !othersWait) ? [] : keys.filter(suspect);
  const out = await transferPhase(link, keys.filter((k) => !deferred.includes(k)), clip, priority);
  await onRound(out, last);
  const rest = last ? [] : [...out.unreachable.map((f) => f.key), ...deferred];
  return {
    out: { ready: out.ready, failed: out.failed, unreachable: last ? out.unreachable : [] },
    late: async (retryPriority, clock, onLateRound = onRound) => {
      const total: TransferOutcome = { ready: [], failed: [], unreachable: [] };
      let todo = rest;
      for (let round = 1; todo.length > 0; round++) {
        await clock.sleep(backoffMs[round - 1]);
        const r = await transferPhase(link, todo, clip, retryPriority);
        const final = round >= backoffMs.length;
        total.ready.push(...r.ready);
        total.failed.push(...r.failed);
        if (final) total.unreachable.push(...r.unreachable);
        await onLateRound(r, final);
        todo = final ? [] : r.unreachable.map((f) => f.key);
      }
      return total;
    },
  };
}

export interface StartOptions {
  command: PlayCommand;
  ours: Ours;
  priority: PriorityClass;
  /** Keys to start now, and whether they are every unit of the bus (then one bus-wide broadcast starts them). */
  fresh: number[];
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
  /** Called before each (re)start of a key, with the status read before it when there is one; false = do not start it. */
  mayStart?: (key: number, before: TerminalStatus | null) => string | null;
  /** Called once the start is about to be sent to keys, bus-wide or not (for a write-ahead record). */
  beforeSend?: (keys: number[], busWide: boolean) => Promise<void>;
  /** Called once a start went out to keys, with the sequence number the driver signed it with. */
  onSent?: (keys: number[], sequence: number, busWide: boolean) => void;
  /** The sequence of a start of ours sent to the key before a restart, if one was recorded. */
  sentBefore?: (key: number) => number | null;
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
  failed: { key: number; reason: string }[];
  unreachable: { key: number; reason: string }[];
  /** Play commands sent, bus-wide and unicast. */
  sent: { bus: number; unicast: number };
  reads: number;
}

const describe = (s: TerminalStatus): string =>
  s.state === 5 ? `plays ${s.broadcastId ?? `clip ${s.clipId}`} at priority ${s.priority}` : `does not play it (state ${s.state}, priority ${s.priority})`;

/** How many requests of one start phase the driver holds at once: one on the wire and the next ready behind it. */
const LANE_WIDTH = 2;

/**
 * A bus's requests in order of rank, at most LANE_WIDTH handed to the driver at once. A job ranked above 0 (a terminal
 * that fell silent, or one monitoring holds offline) starts only when the lane is empty, so that its time-out delays
 * no terminal that answers; a job ranked below 0 goes before everything waiting. A job queues what follows from its
 * answer before it gives up its place, so a read lost to noise is asked again before the lane turns to the suspect.
 */
class Lane {
  private busy = 0;
  private order = 0;
  private readonly waiting: { rank: number; order: number; go: () => void }[] = [];

  run(rank: number, job: () => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({
        rank, order: this.order++,
        go: () => void job().then(resolve, reject).finally(() => {
          this.busy--;
          this.pump();
        }),
      });
      this.pump();
    });
  }

  private pump(): void {
    this.waiting.sort((a, b) => a.rank - b.rank || a.order - b.order);
    while (this.waiting.length > 0 && this.busy < (this.waiting[0].rank > 0 ? 1 : LANE_WIDTH)) {
      this.busy++;
      (this.waiting.shift() as { go: () => void }).go();
    }
  }
}

/**
 * Start, verify, retry: the synchronised start of one bus and what became of each key. Every key is followed on its
 * own — read, then started again or read again as its answer asks — so a retry waits only for the requests still
 * ahead of it on the bus, not for a whole round. A bus-wide start that no terminal shows was lost on the line: it goes
 * again at once as the same signed block (a unit that took it refuses the copy as a replay), before the other reads.
 * A terminal whose last command is one of our starts took it (after a short clip it may be idle again by the time it
 * is read): it is never started a second time — nor after a restart, when the start's sequence was recorded (sentBefore).
 */
export function startPhase(link: BusLink, o: StartOptions, clock: Sleeper): Promise<StartOutcome> {
  const out: StartOutcome = { playing: [], failed: [], unreachable: [], sent: { bus: 0, unicast: 0 }, reads: 0 };
  const lane = new Lane();
  const before = new Map<number, TerminalStatus | null>();
  const refusedBy = new Map<number, string>();
  const silences = new Map<number, number>();
  const ownStarts = new Map<number, number>();
  const maxSilences = o.maxSilences ?? 3;
  /** Sequences of the signed starts sent (bus-wide, and per key): a terminal whose last command is one of them took ours. */
  const busSequences = new Set<number>();
  const ownSequences = new Map<number, Set<number>>();
  /**
   * The bus-wide start: sent `generation` times, the first at `at`; `confirmed` = the latest generation a terminal was
   * read showing. Copies go only while the driver still hands out the very block first sent (SAME_BLOCK_MS from the
   * first): a block signed anew would be a second start to every unit that took the first.
   */
  let busWide = null as { command: PlayCommand; at: number } | null;
  let generation = 0;
  let confirmed = -1;
  let again: Promise<void> = Promise.resolve();
  const readAfterAgain = (k: number): void =>
    guard(async () => {
      await again;
      read(k);
    });

  const command = (): PlayCommand => (clock.now() < o.ours.startAt ? o.command : { ...o.command, startAt: undefined });
  const rank = (k: number): number => (o.suspect?.(k) ? 2 : 0) + Math.min(silences.get(k) ?? 0, 1);
  /** The last command sequence read on a key before a unicast start whose answer was lost (the terminal may have taken it). */
  const lostStart = new Map<number, number>();
  const lastRead = new Map<number, number>();
  const tookOurs = (k: number, s: TerminalStatus): boolean =>
    s.state !== 5 && s.lastCommandSequence > 0 &&
    (busSequences.has(s.lastCommandSequence) || (ownSequences.get(k)?.has(s.lastCommandSequence) ?? false) || o.sentBefore?.(k) === s.lastCommandSequence ||
      // sequences only grow, and only this controller signs: one taken since the lost start's read is that start
      (lostStart.has(k) && s.lastCommandSequence > (lostStart.get(k) as number)));
  const gate = (k: number): boolean => {
    const veto = o.mayStart?.(k, before.get(k) ?? null) ?? null;
    if (veto !== null) out.failed.push({ key: k, reason: veto });
    return veto === null;
  };

  let settle: () => void = () => undefined;
  let abort: (e: unknown) => void = () => undefined;
  let open = 0;
  const done = new Promise<void>((resolve, reject) => {
    settle = () => {
      if (--open === 0) resolve();
    };
    abort = reject;
  });
  /** Runs a step of a key's follow-up; what throws ends the phase with that error. */
  const guard = (step: () => Promise<void> | void): void => {
    try {
      void Promise.resolve(step()).catch(abort);
    } catch (e) {
      abort(e);
    }
  };

  const sendBusWide = (c: PlayCommand): Promise<void> => {
    generation++;
    out.sent.bus++;
    busWide ??= { command: c, at: clock.now() };
    return lane.run(-1, async () => {
      const sequence = await link.commandAll(c, o.priority).catch(() => null);
      if (sequence === null) return;
      busSequences.add(sequence);
      o.onSent?.(o.fresh, sequence, true);
    });
  };

  const read = (k: number): void => {
    if (o.stopped?.()) return settle();
    const seen = generation;
    out.reads++;
    void lane.run(rank(k), async () => {
      const r = await link.status(k, o.priority).then((s) => ({ s, error: null }), (e: unknown) => ({ s: null, error: (e as Error).message }));
      answered(k, seen, r.s, r.error);
    }).catch(abort);
  };

  /** What a read's answer asks for next; runs before the read gives up its place in the lane. */
  const answered = (k: number, seen: number, s: TerminalStatus | null, error: string | null): void => {
    if (o.stopped?.()) return settle();
    if (s) lastRead.set(k, s.lastCommandSequence);
    if (s && (showsOurs(s, o.ours) || tookOurs(k, s))) {
      if (seen === generation) confirmed = Math.max(confirmed, seen);
      out.playing.push({ key: k, before: before.get(k) ?? null });
      o.onPlaying?.(k, s);
      return settle();
    }
    if (!s) {
      const n = (silences.get(k) ?? 0) + 1;
      silences.set(k, n);
      if (n < maxSilences && clock.now() <= o.deadline) return read(k);
      out.unreachable.push({ key: k, reason: error ?? 'no reply' });
      return settle();
    }
    silences.delete(k);
    if (!before.has(k)) before.set(k, s);
    refusedBy.set(k, refusedBy.get(k) ?? describe(s));
    // read before the latest bus-wide start went out: read again after it
    if (seen < generation) return readAfterAgain(k);
    const couldHaveTaken = s.priority === PRIORITY.idle || preempts(o.ours.priority, s.priority);
    if (busWide && confirmed < generation && couldHaveTaken && clock.now() - busWide.at < SAME_BLOCK_MS) {
      // no terminal shows the latest bus-wide start and this one would have taken it: it was lost on the line
      again = sendBusWide(busWide.command);
      return readAfterAgain(k);
    }
    const own = ownStarts.get(k) ?? 0;
    const pause = own === 0 ? 0 : o.backoffMs[Math.min(own - 1, o.backoffMs.length - 1)] ?? 0;
    const limit = own === 0 ? Math.max(o.deadline, o.windowEnd ?? o.deadline) : o.deadline;
    if (clock.now() + pause > limit || !gate(k)) {
      if (!out.failed.some((f) => f.key === k)) out.failed.push({ key: k, reason: refusedBy.get(k) ?? 'did not start' });
      return settle();
    }
    guard(async () => {
      if (pause > 0) await clock.sleep(pause);
      if (o.stopped?.()) return settle();
      await o.beforeSend?.([k], false);
      startOwn(k);
    });
  };

  /** A key's own start (unicast), then its read. */
  const startOwn = (k: number): void => {
    if (o.stopped?.()) return settle();
    ownStarts.set(k, (ownStarts.get(k) ?? 0) + 1);
    out.sent.unicast++;
    void lane.run(rank(k), async () => {
      try {
        const sequence = await link.command(k, command(), o.priority);
        if (sequence !== null) {
          ownSequences.set(k, (ownSequences.get(k) ?? new Set<number>()).add(sequence));
          o.onSent?.([k], sequence, false);
        }
        refusedBy.delete(k);
      } catch (e) {
        if (isClipMissing((e as Error).message)) {
          // the terminal lacks the clip (it was believed stored): no start can succeed until it is stored again
          out.failed.push({ key: k, reason: (e as Error).message });
          return settle();
        }
        refusedBy.set(k, (e as Error).message);
        const seq = lastRead.get(k);
        if (isNoReply((e as Error).message) && seq !== undefined && !lostStart.has(k)) lostStart.set(k, seq);
      }
      read(k);
    }).catch(abort);
  };

  const begin = async (): Promise<void> => {
    const fresh = o.fresh.filter(gate);
    const byBus = o.wholeBus && fresh.length > 0 && fresh.length === o.fresh.length;
    if (fresh.length > 0 && !o.stopped?.()) await o.beforeSend?.(fresh, byBus);
    if (byBus && !o.stopped?.()) await sendBusWide(command());
    // each key on its own from here; the lane puts likely answers first and the suspect last
    const keys = [...o.readFirst.map((k) => ({ k, startNow: false })), ...fresh.map((k) => ({ k, startNow: !byBus }))];
    open = keys.length;
    if (open === 0) return;
    for (const { k, startNow } of keys.sort((a, b) => rank(a.k) - rank(b.k))) {
      if (startNow) startOwn(k);
      else read(k);
    }
    await done;
  };
  return begin().then(() => out);
}

/** Tells every unit of the bus to stop the broadcast, then makes sure: unicast stop to the keys still playing it. */
export async function stopPhase(link: BusLink, keys: number[], stop: StopCommand, ours: Ours): Promise<{ stopped: number[]; unreachable: number[] }> {
  await link.commandAll(stop, 'emergency').catch(() => undefined);
  const out = { stopped: [] as number[], unreachable: [] as number[] };
  await Promise.all(keys.map(async (k) => {
    try {
      const s = await link.status(k, 'emergency');
      if (showsOurs(s, ours)) await link.command(k, stop, 'emergency');
      out.stopped.push(k);
    } catch {
      out.unreachable.push(k);
    }
  }));
  return out;
}
