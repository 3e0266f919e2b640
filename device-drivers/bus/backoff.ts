/**
 * Exponential backoff, for dead units and for dropped connections (docs/protocols.md, "the bus scheduler"): so a dead unit never
 * stalls a bus and a dead gateway is not hammered.
 */
import type { BusErrorKind } from '../terminal-bus';

export interface BackoffPolicy {
  /** First delay after `threshold` failures. */
  baseMs: number;
  /** Delays never grow past this. */
  maxMs: number;
  /** Consecutive failures before the first delay (1 = back off after the first failure; UnitBackoff adds one for a unit just heard). */
  threshold: number;
  /**
   * Units only: the largest share of the bus's time (0–1) that trying units which keep failing may take. Once a unit
   * has failed past the threshold, its delay is stretched (up to maxMs) so that the failing units of the bus, each
   * tried once per delay at what its last failure cost, stay within this share however long a sweep takes. Absent:
   * delays follow the exponential rule alone.
   */
  maxShare?: number;
}

/**
 * A dead unit costs the bus a gateway timeout per try. Exponential delays alone suit a short sweep (a dozen units, a
 * second) but not a long bus (247 units, ~20 s a sweep), where every delay has passed when the sweep comes round
 * again and every dead unit would be waited out in every sweep: failing units are held to 2 % of the bus.
 */
export const DEFAULT_UNIT_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 60_000, threshold: 1, maxShare: 0.02 };
export const DEFAULT_RECONNECT_BACKOFF: BackoffPolicy = { baseMs: 500, maxMs: 30_000, threshold: 1 };

/** Delay after `failures` consecutive failures: 0 below the threshold, then base × 2^(failures − threshold), capped. */
export function backoffDelayMs(policy: BackoffPolicy, failures: number): number {
  if (failures < policy.threshold) return 0;
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(30, failures - policy.threshold));
}

/** Failures that say the unit did not answer properly (an exception or a refusal is an answer: the unit is alive). */
export function isUnitFailure(kind: BusErrorKind): boolean {
  switch (kind) {
    case 'timeout':
    case 'crc':
    case 'wrong-unit':
    case 'short-reply':
    case 'protocol':
      return true;
    case 'exception':
    case 'refused':
    case 'disconnected':
    case 'deadline':
    case 'backoff':
    case 'cancelled':
      return false;
  }
}

/**
 * Consecutive failures per unit and the time each backed-off unit is next tried. A unit that answered its previous
 * request is given one failure's grace: on a noisy line one lost frame is likelier than a unit gone, so its poll may be
 * retried at once. A unit not heard from (never answered, or already failing) is backed off from its first failure, so
 * a dead unit costs a bus one timeout and then no wire time until it is tried again.
 */
export class UnitBackoff {
  private readonly units = new Map<number, { failures: number; graced: boolean; nextTryAt: number }>();
  /** Units whose most recent request was answered (at most the units of one bus). */
  private readonly answered = new Set<number>();

  constructor(private readonly policy: BackoffPolicy) {}

  /** True while the unit must not be tried (a poll or transfer for it fails fast). */
  isBackedOff(unit: number, now: number): boolean {
    const u = this.units.get(unit);
    return u !== undefined && now < u.nextTryAt;
  }

  nextTryAt(unit: number): number | null {
    return this.units.get(unit)?.nextTryAt ?? null;
  }

  /** `costMs`: the bus time the failed request took (its wait for an answer that did not come). */
  failure(unit: number, now: number, costMs = 0): void {
    const streak = this.units.get(unit);
    const graced = streak?.graced ?? this.answered.has(unit);
    this.answered.delete(unit);
    const failures = (streak?.failures ?? 0) + 1;
    const counted = graced ? failures - 1 : failures;
    let delay = backoffDelayMs(this.policy, counted);
    const share = this.policy.maxShare;
    // past the first delay the unit is no lost frame but silent: hold the bus's failing units to their share
    if (share !== undefined && share > 0 && counted > this.policy.threshold) {
      const failing = this.units.size + (streak === undefined ? 1 : 0);
      delay = Math.max(delay, Math.min(this.policy.maxMs, (failing * costMs) / share));
    }
    this.units.set(unit, { failures, graced, nextTryAt: now + delay });
  }

  success(unit: number): void {
    this.units.delete(unit);
    this.answered.add(unit);
  }

  /** Units with failures, for metrics, in unit order. */
  list(): { unit: number; failures: number; nextTryAt: number }[] {
    return [...this.units.entries()]
      .map(([unit, u]) => ({ unit, failures: u.failures, nextTryAt: u.nextTryAt }))
      .sort((a, b) => a.unit - b.unit);
  }
}
