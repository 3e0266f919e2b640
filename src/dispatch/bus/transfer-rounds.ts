/**
 * Transfer rounds: the clip stored on a bus's keys by the driver (broadcast chunks + selective repair), a first round
 * the synchronised start waits for, and the retries of the keys it could not reach, after each pause of the backoff.
 */
import type { Clock as ServerClock } from '../../common/clock';

/** The part of the server's Clock the plan uses. */
type Clock = Pick<ServerClock, 'now' | 'sleep'>;
import { failureOf, type ClipToTransfer, type PriorityClass } from '../../field/field-port';
import type { BusLink, KeyFailure } from './bus-link';
import { meaningOf } from './field-failures';

export interface TransferOutcome {
  ready: number[];
  failed: KeyFailure[];
  unreachable: KeyFailure[];
}

/** Stores the clip on the keys; a bus that cannot be reached at all makes every key unreachable. */
export async function transferPhase(
  link: BusLink,
  keys: number[],
  clip: ClipToTransfer,
  priority: PriorityClass,
): Promise<TransferOutcome> {
  if (keys.length === 0) return { ready: [], failed: [], unreachable: [] };
  try {
    const r = await link.transfer(keys, clip, priority);
    const out: TransferOutcome = { ready: [...r.stored, ...r.alreadyStored], failed: [], unreachable: [] };
    for (const f of r.failed)
      (meaningOf(f.failure) === 'no-reply' ? out.unreachable : out.failed).push({
        key: f.key,
        reason: f.failure.message,
      });
    return out;
  } catch (e) {
    const reason = failureOf(e).message;
    return { ready: [], failed: [], unreachable: keys.map((key) => ({ key, reason })) };
  }
}

/**
 * The transfer with its retries: keys that did not answer are tried again after each pause of `backoffMs` (at
 * `retryPriority`, which the scheduler tries even on units it has backed off); `onRound` sees each round's outcome.
 */
export async function transferWithRetries(
  link: BusLink,
  keys: number[],
  clip: ClipToTransfer,
  priority: PriorityClass,
  retryPriority: PriorityClass,
  backoffMs: readonly number[],
  clock: Clock,
  onRound: (out: TransferOutcome, last: boolean) => Promise<void> | void = () => undefined,
): Promise<TransferOutcome> {
  const first = await firstTransfer(link, keys, clip, priority, backoffMs, onRound);
  const late = await first.late(retryPriority, clock, onRound);
  return {
    ready: [...first.out.ready, ...late.ready],
    failed: [...first.out.failed, ...late.failed],
    unreachable: late.unreachable,
  };
}

/**
 * The first round of a transfer, and its retries as a separate step: the synchronised start goes ahead with the keys
 * the first round stored, while the keys it could not reach are tried again (`late`) without holding everyone else.
 */
export async function firstTransfer(
  link: BusLink,
  keys: number[],
  clip: ClipToTransfer,
  priority: PriorityClass,
  backoffMs: readonly number[],
  onRound: (out: TransferOutcome, last: boolean) => Promise<void> | void = () => undefined,
  /**
   * Keys believed offline (monitoring): left to the retries, so their time-outs hold up no one — unless all are and
   * `othersWait` is false (no other terminal of the bus waits for this round: trying them now costs no one).
   */
  suspect: (key: number) => boolean = () => false,
  othersWait = false,
): Promise<{
  out: TransferOutcome;
  late: (
    retryPriority: PriorityClass,
    clock: Clock,
    onLateRound?: (out: TransferOutcome, last: boolean) => Promise<void> | void,
  ) => Promise<TransferOutcome>;
}> {
  const last = backoffMs.length === 0;
  const deferred = last || (keys.every(suspect) && !othersWait) ? [] : keys.filter(suspect);
  const out = await transferPhase(
    link,
    keys.filter((k) => !deferred.includes(k)),
    clip,
    priority,
  );
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
