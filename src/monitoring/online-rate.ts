/**
 * Online rate per region, kept incrementally: every terminal counts in its county, town, village (and group), so a
 * change costs a handful of map updates and a read is O(1) — no SQL on the live path (docs/architecture.md).
 * Online rate = online / registered (enabled terminals), shown as a percentage with two decimals (docs/domain.md), with
 * the number of terminals still unknown (not heard from since start): they are not counted online.
 */
import { areaLevelOrNull, areaPrefix } from '../../firmware-protocols/codes';

export interface OnlineRate {
  areaCode: string;
  registered: number;
  online: number;
  /** Registered terminals not heard from since start (neither online nor offline yet). */
  unknown: number;
  /** Percent with two decimals; null when nothing is registered. */
  ratePercent: number | null;
}

const PREFIX_LENGTHS = [2, 4, 6, 9, 12, 15];

/** Every prefix under which a terminal in `areaCode` is counted, from province down to its own area. */
export function countingPrefixes(areaCode: string): string[] {
  if (areaLevelOrNull(areaCode) === null) return [];
  const own = areaPrefix(areaCode).length;
  return PREFIX_LENGTHS.filter((n) => n <= own).map((n) => areaCode.slice(0, n));
}

/** The area code a counting prefix stands for (`341523100` → `341523100000`; a group's 15 digits stay). */
export function areaCodeOfPrefix(prefix: string): string {
  return prefix.padEnd(prefix.length > 12 ? 15 : 12, '0');
}

/** How a terminal counts: online or not, and whether it is still unknown. */
export interface Counted {
  online: boolean;
  unknown: boolean;
}

interface Counts {
  registered: number;
  online: number;
  unknown: number;
}

const rateOf = (areaCode: string, counts: Counts): OnlineRate => ({
  areaCode,
  registered: counts.registered,
  online: counts.online,
  unknown: counts.unknown,
  ratePercent: counts.registered === 0 ? null : Math.round((counts.online / counts.registered) * 10000) / 100,
});

export class OnlineRateCounters {
  private readonly counts = new Map<string, Counts>();

  private bump(areaCode: string, registered: number, state: Counted, sign: 1 | -1): void {
    for (const prefix of countingPrefixes(areaCode)) {
      const counts = this.counts.get(prefix) ?? { registered: 0, online: 0, unknown: 0 };
      counts.registered += registered;
      counts.online += state.online ? sign : 0;
      counts.unknown += state.unknown ? sign : 0;
      if (counts.registered === 0 && counts.online === 0 && counts.unknown === 0) this.counts.delete(prefix);
      else this.counts.set(prefix, counts);
    }
  }

  add(areaCode: string, state: Counted): void {
    this.bump(areaCode, 1, state, 1);
  }

  remove(areaCode: string, state: Counted): void {
    this.bump(areaCode, -1, state, -1);
  }

  change(areaCode: string, before: Counted, after: Counted): void {
    this.bump(areaCode, 0, before, -1);
    this.bump(areaCode, 0, after, 1);
  }

  rate(areaCode: string): OnlineRate {
    const prefix = areaLevelOrNull(areaCode) === null ? areaCode : areaPrefix(areaCode);
    return rateOf(areaCode, this.counts.get(prefix) ?? { registered: 0, online: 0, unknown: 0 });
  }

  /** Every counted area from the county down (county, towns, villages, groups) with its rate, for the daily roll-up. */
  *areas(): IterableIterator<OnlineRate> {
    for (const [prefix, c] of this.counts) {
      if (prefix.length < 6) continue;
      yield rateOf(areaCodeOfPrefix(prefix), c);
    }
  }
}
