/**
 * The day view and the conflict rule of relay schedules (docs/relay.md), as pure functions: which programme a
 * terminal plays at each moment of a day when published schedules overlap on it.
 *
 * The rule: the lower priority number wins (firmware-protocols/codes/priority.ts: county 6 above town 7 above
 * village 8); at equal priority the schedule published first keeps the air (then the lower schedule id). A slot that
 * loses part of its time plays the rest: it yields only where a stronger slot is on.
 */
import { expand, type Recurrence } from './recurrence';

export interface Interval {
  from: Date;
  to: Date;
}

/** One planned slot of a published schedule on one terminal. */
export interface PlannedSlot {
  scheduleId: number;
  programmeId: number;
  programmeName: string;
  priority: number;
  /** When the revision that plays was published (the tie-break at equal priority). */
  publishedAt: Date;
  start: Date;
  end: Date;
}

export interface ResolvedSlot extends PlannedSlot {
  /** The parts of the slot it plays (empty: it loses its whole time). */
  plays: Interval[];
  /** The parts it yields, and to which schedule. */
  yields: (Interval & { toScheduleId: number })[];
}

/** Negative when `a` is stronger than `b` (wins the air). */
export function compareStrength(
  a: Pick<PlannedSlot, 'priority' | 'publishedAt' | 'scheduleId'>,
  b: Pick<PlannedSlot, 'priority' | 'publishedAt' | 'scheduleId'>,
): number {
  return a.priority - b.priority || a.publishedAt.getTime() - b.publishedAt.getTime() || a.scheduleId - b.scheduleId;
}

function subtract(parts: Interval[], cut: Interval): Interval[] {
  const out: Interval[] = [];
  for (const p of parts) {
    if (cut.to <= p.from || cut.from >= p.to) {
      out.push(p);
      continue;
    }
    if (cut.from > p.from) out.push({ from: p.from, to: cut.from });
    if (cut.to < p.to) out.push({ from: cut.to, to: p.to });
  }
  return out;
}

/** One terminal's slots of a day with what each plays and yields, ordered by start. */
export function resolveTerminal(slots: readonly PlannedSlot[]): ResolvedSlot[] {
  const ranked = [...slots].sort(compareStrength);
  const out: ResolvedSlot[] = [];
  for (const [i, s] of ranked.entries()) {
    let plays: Interval[] = [{ from: s.start, to: s.end }];
    const yields: ResolvedSlot['yields'] = [];
    for (const stronger of ranked.slice(0, i)) {
      const from = new Date(Math.max(s.start.getTime(), stronger.start.getTime()));
      const to = new Date(Math.min(s.end.getTime(), stronger.end.getTime()));
      if (from >= to) continue;
      yields.push({ from, to, toScheduleId: stronger.scheduleId });
      plays = subtract(plays, { from, to });
    }
    out.push({ ...s, plays, yields });
  }
  return out.sort((a, b) => a.start.getTime() - b.start.getTime() || compareStrength(a, b));
}

/** A schedule as the conflict check sees it: its recurrence, strength and the terminals it reaches. */
export interface ScheduleFootprint {
  scheduleId: number;
  programmeName: string;
  priority: number;
  /** null for the candidate not yet published: it publishes now, after every published one. */
  publishedAt: Date | null;
  recurrence: Recurrence;
  terminalIds: ReadonlySet<number>;
}

export interface Conflict {
  scheduleId: number;
  programmeName: string;
  priority: number;
  /** The days (within the horizon) on which the two overlap. */
  days: string[];
  /** The overlap on the first of those days. */
  from: Date;
  to: Date;
  /** Terminals both reach. */
  terminalCount: number;
  /** Which schedule keeps the air, and by which part of the rule. */
  winnerScheduleId: number;
  decidedBy: 'priority' | 'published-first';
}

/** The published schedules `candidate` overlaps on a shared terminal within the days [first, last]. */
export function findConflicts(
  candidate: ScheduleFootprint,
  others: readonly ScheduleFootprint[],
  first: string,
  last: string,
  now: Date,
): Conflict[] {
  const mine = expand(candidate.recurrence, first, last);
  const out: Conflict[] = [];
  for (const o of others) {
    if (o.scheduleId === candidate.scheduleId) continue;
    let shared = 0;
    for (const t of candidate.terminalIds) if (o.terminalIds.has(t)) shared++;
    if (shared === 0) continue;
    const theirs = new Map(expand(o.recurrence, first, last).map((s) => [s.day, s]));
    let c: Conflict | null = null;
    for (const s of mine) {
      const t = theirs.get(s.day);
      if (!t || t.end <= s.start || t.start >= s.end) continue;
      if (c) {
        c.days.push(s.day);
        continue;
      }
      const cand = { ...candidate, publishedAt: candidate.publishedAt ?? now };
      const other = { ...o, publishedAt: o.publishedAt ?? now };
      const winner = compareStrength(cand, other) < 0 ? candidate : o;
      c = {
        scheduleId: o.scheduleId,
        programmeName: o.programmeName,
        priority: o.priority,
        days: [s.day],
        from: new Date(Math.max(s.start.getTime(), t.start.getTime())),
        to: new Date(Math.min(s.end.getTime(), t.end.getTime())),
        terminalCount: shared,
        winnerScheduleId: winner.scheduleId,
        decidedBy: candidate.priority !== o.priority ? 'priority' : 'published-first',
      };
    }
    if (c) out.push(c);
  }
  return out;
}
