/**
 * The per-bus plan of a broadcast, free of Nest and the database so that the engine and the benchmarks run the same
 * code: clip transfer (broadcast chunks + selective repair, by the driver), a start (one bus-wide broadcast when every
 * unit of the bus is to start, else unicast), verification reads, and retries with backoff until a deadline. Terminals
 * are named by a numeric key (the registry's terminal id in the server, the unit id in a bench).
 */
import type { ClipToTransfer, PriorityClass, TerminalCommand, TerminalStatus } from '../field/field-commands';

export type PlayCommand = Extract<TerminalCommand, { code: 'play' }>;
export type StopCommand = Extract<TerminalCommand, { code: 'stop' }>;

/** One bus as the plan sees it. */
export interface BusLink {
  readonly id: string;
  transfer(keys: number[], clip: ClipToTransfer, priority: PriorityClass): Promise<{ stored: number[]; alreadyStored: number[]; failed: { key: number; reason: string }[] }>;
  /** A command to every unit of the bus at once (no reply). */
  commandAll(command: PlayCommand | StopCommand, priority: PriorityClass): Promise<void>;
  command(key: number, command: PlayCommand | StopCommand, priority: PriorityClass): Promise<void>;
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
  const total: TransferOutcome = { ready: [], failed: [], unreachable: [] };
  for (let round = 0; keys.length > 0; round++) {
    const out = await transferPhase(link, keys, clip, round === 0 ? priority : retryPriority);
    const last = round >= backoffMs.length;
    total.ready.push(...out.ready);
    total.failed.push(...out.failed);
    if (last) total.unreachable.push(...out.unreachable);
    await onRound(out, last);
    keys = last ? [] : out.unreachable.map((f) => f.key);
    if (keys.length > 0) await clock.sleep(backoffMs[round]);
  }
  return total;
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
  /** Pauses between retry rounds, ms; the last repeats. */
  backoffMs: readonly number[];
  /** Called before each (re)start of a key, with the status read before it when there is one; false = do not start it. */
  mayStart?: (key: number, before: TerminalStatus | null) => string | null;
  /** Called once the start is about to be sent to keys (for a write-ahead record). */
  beforeSend?: (keys: number[]) => Promise<void>;
  /** Stops early (a cancel). */
  stopped?: () => boolean;
  /** Told of each key as soon as it is verified. */
  onPlaying?: (key: number) => void;
  /** Keys believed offline (monitoring): read after the others, so their timeouts delay no live terminal. */
  suspect?: (key: number) => boolean;
  /** A key that does not answer this many reads in a row is unreachable at once (default 2). */
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

/** Start, verify, retry: the synchronised start of one bus and what became of each key. */
export async function startPhase(link: BusLink, o: StartOptions, clock: Sleeper): Promise<StartOutcome> {
  const out: StartOutcome = { playing: [], failed: [], unreachable: [], sent: { bus: 0, unicast: 0 }, reads: 0 };
  const before = new Map<number, TerminalStatus | null>();
  const refusedBy = new Map<number, string>();
  let toVerify: number[] = [];
  let toStart: number[] = [];
  /** The bus-wide start, if one went out: repeated as the very same signed block, it reaches those who missed it. */
  let busWide = null as { command: PlayCommand; at: number } | null;

  const send = async (keys: number[], wholeBus: boolean): Promise<void> => {
    if (keys.length === 0 || o.stopped?.()) return;
    await o.beforeSend?.(keys);
    if (o.stopped?.()) return;
    const command: PlayCommand = clock.now() < o.ours.startAt ? o.command : { ...o.command, startAt: undefined };
    if (wholeBus) {
      out.sent.bus++;
      busWide = { command, at: clock.now() };
      await link.commandAll(command, o.priority).catch(() => undefined);
      toVerify.push(...keys);
      return;
    }
    await Promise.all(keys.map(async (k) => {
      out.sent.unicast++;
      try {
        await link.command(k, command, o.priority);
      } catch (e) {
        refusedBy.set(k, (e as Error).message);
      }
      toVerify.push(k);
    }));
  };

  const gate = (keys: number[]): number[] =>
    keys.filter((k) => {
      const veto = o.mayStart?.(k, before.get(k) ?? null) ?? null;
      if (veto !== null) out.failed.push({ key: k, reason: veto });
      return veto === null;
    });

  toVerify.push(...o.readFirst);
  const fresh = gate(o.fresh);
  await send(fresh, o.wholeBus && fresh.length === o.fresh.length);
  let round = 0;
  const silences = new Map<number, number>();
  const maxSilences = o.maxSilences ?? 2;
  // reads go on the wire in this order: likely answers first, then the suspect, then those already silent
  const rank = (k: number): number => (silences.get(k) ?? 0) * 2 + (o.suspect?.(k) ? 1 : 0);
  for (;;) {
    if (o.stopped?.()) return out;
    toVerify.sort((a, b) => rank(a) - rank(b));
    const reads = await Promise.all(toVerify.map(async (k) => {
      out.reads++;
      try {
        return { k, s: await link.status(k, o.priority), error: null };
      } catch (e) {
        return { k, s: null, error: (e as Error).message };
      }
    }));
    toVerify = [];
    toStart = [];
    const silent: { key: number; reason: string }[] = [];
    for (const r of reads) {
      if (r.s && showsOurs(r.s, o.ours)) {
        out.playing.push({ key: r.k, before: before.get(r.k) ?? null });
        o.onPlaying?.(r.k);
      }
      else if (r.s) {
        if (!before.has(r.k)) before.set(r.k, r.s);
        refusedBy.set(r.k, refusedBy.get(r.k) ?? describe(r.s));
        toStart.push(r.k);
      } else {
        const n = (silences.get(r.k) ?? 0) + 1;
        silences.set(r.k, n);
        if (n >= maxSilences) out.unreachable.push({ key: r.k, reason: r.error ?? 'no reply' });
        else silent.push({ key: r.k, reason: r.error ?? 'no reply' });
      }
    }
    const late = clock.now() + (o.backoffMs[Math.min(round, o.backoffMs.length - 1)] ?? 0) > o.deadline;
    if ((toStart.length === 0 && silent.length === 0) || late || o.stopped?.()) {
      for (const k of toStart) out.failed.push({ key: k, reason: refusedBy.get(k) ?? 'did not start' });
      out.unreachable.push(...silent);
      return out;
    }
    await clock.sleep(o.backoffMs[Math.min(round, o.backoffMs.length - 1)] ?? 0);
    round++;
    toVerify.push(...silent.map((s) => s.key));
    const again = gate(toStart);
    if (busWide && again.length >= 2 && clock.now() - busWide.at < SAME_BLOCK_MS) {
      // a bus-wide frame lost to noise is lost to every unit: send it again rather than one play per unit. Within the
      // drivers' signed-block window it is the same block (same sequence): a unit that took it refuses it as a replay
      out.sent.bus++;
      await link.commandAll(busWide.command, o.priority).catch(() => undefined);
      toVerify.push(...again);
    } else await send(again, false);
  }
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
