/**
 * Online rate per region, kept incrementally: every terminal counts in its county, town, village (and group), so a
 * change costs a handful of map updates and a read is O(1) — no SQL on the live path (docs/architecture.md).
 * Online rate = online / registered (enabled terminals), shown as a percentage with two decimals (docs/domain.md).
 */
import { areaLevelOrNull, areaPrefix } from '../../firmware-protocols/codes';

export interface OnlineRate {
  areaCode: string;
  registered: number;
  online: number;
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

export class OnlineRateCounters {
  private readonly counts = new Map<string, { registered: number; online: number }>();

  private bump(areaCode: string, registered: number, online: number): void {
    for (const prefix of countingPrefixes(areaCode)) {
      const counts = this.counts.get(prefix) ?? { registered: 0, online: 0 };
      counts.registered += registered;
      counts.online += online;
      if (counts.registered === 0 && counts.online === 0) this.counts.delete(prefix);
      else this.counts.set(prefix, counts);
    }
  }

  add(areaCode: string, online: boolean): void {
    this.bump(areaCode, 1, online ? 1 : 0);
  }

  remove(areaCode: string, online: boolean): void {
    this.bump(areaCode, -1, online ? -1 : 0);
  }

  setOnline(areaCode: string, online: boolean): void {
    this.bump(areaCode, 0, online ? 1 : -1);
  }

  rate(areaCode: string): OnlineRate {
    const prefix = areaLevelOrNull(areaCode) === null ? areaCode : areaPrefix(areaCode);
    const counts = this.counts.get(prefix) ?? { registered: 0, online: 0 };
    return {
      areaCode,
      registered: counts.registered,
      online: counts.online,
      ratePercent: counts.registered === 0 ? null : Math.round((counts.online / counts.registered) * 10000) / 100,
    };
  }

  /** Every counted area from the county down (county, towns, villages, groups) with its rate, for the daily roll-up. */
  *areas(): IterableIterator<OnlineRate> {
    for (const [prefix, c] of this.counts) {
      if (prefix.length < 6) continue;
      const areaCode = areaCodeOfPrefix(prefix);
      yield { areaCode, registered: c.registered, online: c.online, ratePercent: c.registered === 0 ? null : Math.round((c.online / c.registered) * 10000) / 100 };
    }
  }
}
