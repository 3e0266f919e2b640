/**
 * How many of the cluster's buses one instance should hold, and which it gives up or takes: pure functions over
 * what the instance just read (the live instances and the leases), so that every instance, reading the same, agrees.
 */
import type { Lease } from './lease-store';

/**
 * The share of `me` among `live` instances for `total` buses: ⌊total/n⌋, plus one for the first (total mod n)
 * instances in id order, so the shares add up to `total`.
 */
export function shareOf(live: readonly string[], me: string, total: number): number {
  const ids = [...new Set(live)].sort();
  const i = ids.indexOf(me);
  if (i < 0 || ids.length === 0) return 0;
  return Math.floor(total / ids.length) + (i < total % ids.length ? 1 : 0);
}

export interface BalanceInput {
  me: string;
  now: number;
  /** Every bus key the cluster shares, each owned by one instance. */
  buses: readonly string[];
  /** The bus keys this instance holds now. */
  held: readonly string[];
  /** Ids of the instances alive now (this one included). */
  live: readonly string[];
  /** The lease rows as just read, by key. */
  leases: ReadonlyMap<string, Lease>;
}

export interface BalancePlan {
  /** Held buses to give up: above the share (the last keys first) or no longer shared. */
  release: string[];
  /** Free or expired buses to try, in order, until the share is reached (more than needed: some races are lost). */
  candidates: string[];
  /** How many of the candidates to take. */
  want: number;
}

export function isFree(lease: Lease | undefined, now: number): boolean {
  return lease === undefined || lease.owner === null || lease.expiresAt <= now;
}

export function planBalance(input: BalanceInput): BalancePlan {
  const shared = new Set(input.buses);
  const held = [...input.held].sort();
  const stray = held.filter((k) => !shared.has(k));
  const kept = held.filter((k) => shared.has(k));
  const share = shareOf(input.live, input.me, shared.size);
  const excess = Math.max(0, kept.length - share);
  const release = [...stray, ...kept.slice(kept.length - excess)];
  const mine = new Set(input.held);
  const candidates = [...shared].sort().filter((k) => !mine.has(k) && isFree(input.leases.get(k), input.now));
  return { release, candidates, want: Math.max(0, share - kept.length) };
}
