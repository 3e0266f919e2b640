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

/** How many terminals of an area are registered, online and still unknown. */
export interface Counts {
  registered: number;
  online: number;
  unknown: number;
}

export const NO_COUNTS: Readonly<Counts> = { registered: 0, online: 0, unknown: 0 };

export const rateOf = (areaCode: string, counts: Counts): OnlineRate => ({
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

  /** Terminals counted together, e.g. a bus's terminals of one area as another instance publishes them. */
  addCounts(areaCode: string, counts: Counts): void {
    for (const prefix of countingPrefixes(areaCode)) {
      const c = this.counts.get(prefix) ?? { registered: 0, online: 0, unknown: 0 };
      c.registered += counts.registered;
      c.online += counts.online;
      c.unknown += counts.unknown;
      this.counts.set(prefix, c);
    }
  }

  /** The counts of an area (its own code, or a counting prefix). */
  countsOf(areaCode: string): Counts {
    const prefix = areaLevelOrNull(areaCode) === null ? areaCode : areaPrefix(areaCode);
    return this.counts.get(prefix) ?? NO_COUNTS;
  }

  rate(areaCode: string): OnlineRate {
    return rateOf(areaCode, this.countsOf(areaCode));
  }

  /**
   * The areas from the county down whose counts differ between `this` and `other`, by area code (what a client
   * following their rates must be sent again).
   */
  changedFrom(other: OnlineRateCounters): string[] {
    const changed: string[] = [];
    for (const prefix of new Set([...this.counts.keys(), ...other.counts.keys()])) {
      if (prefix.length < 6) continue;
      const a = this.counts.get(prefix) ?? NO_COUNTS;
      const b = other.counts.get(prefix) ?? NO_COUNTS;
      if (a.registered !== b.registered || a.online !== b.online || a.unknown !== b.unknown)
        changed.push(areaCodeOfPrefix(prefix));
    }
    return changed;
  }

  /** Every counted area from the county down (county, towns, villages, groups) with its rate, for the daily roll-up. */
  *areas(): IterableIterator<OnlineRate> {
    for (const [prefix, c] of this.counts) {
      if (prefix.length < 6) continue;
      yield rateOf(areaCodeOfPrefix(prefix), c);
    }
  }
}

/** A rate with more terminals counted in (those of the buses other instances publish). */
export function plusCounts(rate: OnlineRate, more: Counts): OnlineRate {
  if (more.registered === 0 && more.online === 0 && more.unknown === 0) return rate;
  return rateOf(rate.areaCode, {
    registered: rate.registered + more.registered,
    online: rate.online + more.online,
    unknown: rate.unknown + more.unknown,
  });
}
