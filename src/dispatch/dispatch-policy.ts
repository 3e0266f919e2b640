/**
 * Every number the dispatch engine goes by, built once from configuration: the start lead, the retry window and
 * backoff, how long a lost bus-wide start may be sent again as the same signed block, and the end read's tolerances.
 */
import type { DispatchSettings, EqualPriorityRule } from '../config/config';

export interface DispatchPolicy {
  /** A synchronised start is set this far ahead of the moment the start command goes out, ms. */
  readonly startLeadMs: number;
  readonly equalPriority: EqualPriorityRule;
  /** Starts and transfers are retried until this long after the start time (or the broadcast's end, if sooner), ms. */
  readonly retryWindowMs: number;
  /** Pauses between retries, ms; the last repeats. */
  readonly backoffMs: readonly number[];
  /** A bus-wide start lost on the line goes again as the same signed block only within this long of the first, ms. */
  readonly sameBlockWindowMs: number;
  /** A terminal still playing ours at its expected end is read again for at most this long, ms. */
  readonly overtimeMs: number;
  /** Boot times worked out from whole-second uptimes and read latencies may differ by this much without a restart, ms. */
  readonly restartSlackMs: number;
  /** A key that does not answer this many reads in a row is unreachable at once. */
  readonly maxSilences: number;
}

/** Margin kept inside the signed-block cache's window, so that a copy never reaches the field as a block signed anew. */
const SAME_BLOCK_MARGIN_MS = 1_000;

/** How long the same bus-wide command is safely the same signed block, given the buses' signed-block cache window. */
export function sameBlockWindow(signedBlockWindowMs: number): number {
  return Math.max(0, signedBlockWindowMs - SAME_BLOCK_MARGIN_MS);
}

export function dispatchPolicy(
  settings: Pick<DispatchSettings, 'startLeadMs' | 'equalPriority'>,
  signedBlockWindowMs: number,
): DispatchPolicy {
  return {
    startLeadMs: settings.startLeadMs,
    equalPriority: settings.equalPriority,
    retryWindowMs: 30_000,
    backoffMs: [200, 500, 1000, 2000],
    sameBlockWindowMs: sameBlockWindow(signedBlockWindowMs),
    overtimeMs: 30_000,
    restartSlackMs: 2_000,
    maxSilences: 3,
  };
}
