/**
 * From the day view to the table a terminal holds (docs/relay.md, "Held schedules"; terminal-modbus PROTOCOL.md §9):
 * the parts of the published slots the terminal plays (the conflict rule already applied) over today and the next two
 * Asia/Shanghai days, as entries of its own source, priority and volume, with what each entry stands for. Pure.
 */
import { REGISTERS, type HeldEntry } from '../../../firmware-protocols/terminal-modbus';
import type { TerminalDay } from '../day-plan.service';
import { dayNumber, dayOf, shanghaiDay, slotOn } from '../recurrence';
import type { ProgrammeSource, PublishedRevision } from '../relay.entities';
import type { HeldEntryRef } from './held-table.entity';

/** Days a table covers: today and the next two. */
export const HELD_DAYS = 3;

export interface HeldPlan {
  entries: HeldEntry[];
  refs: HeldEntryRef[];
  /** UTC seconds. */
  validFrom: number;
  validUntil: number;
}

/** The days a table made at `now` covers, and its window (Shanghai midnight to midnight three days on). */
export function heldWindow(now: number): { days: string[]; validFrom: number; validUntil: number } {
  const first = dayNumber(shanghaiDay(new Date(now)));
  const days = Array.from({ length: HELD_DAYS }, (_, i) => dayOf(first + i));
  const from = slotOn({ start: '00:00', end: '24:00' }, days[0]).start.getTime();
  return { days, validFrom: from / 1000, validUntil: from / 1000 + HELD_DAYS * 86_400 };
}

/** What a terminal plays for a programme source; null: not held (a playlist's clips are the engine's business). */
export function heldSource(s: ProgrammeSource): Pick<HeldEntry, 'source' | 'sourceParam'> | null {
  switch (s.kind) {
    case 'fm':
      return s.frequency === undefined ? null : { source: 'fm', sourceParam: s.frequency };
    case 'line-in':
      return s.channel === undefined ? null : { source: 'line-in', sourceParam: s.channel };
    case 'ip':
      return s.stream === undefined ? null : { source: 'ip', sourceParam: s.stream };
    case 'playlist':
      return null;
  }
}

/**
 * One terminal's table: its slots of the window's days (`days`: one TerminalDay list per day, any terminal), each
 * interval it plays an entry, in time order, at most 128 (the earliest kept), only sources the terminal has.
 */
export function heldPlanOf(
  terminalId: number,
  days: readonly { terminals: readonly TerminalDay[] }[],
  revisions: ReadonlyMap<number, PublishedRevision>,
  window: { validFrom: number; validUntil: number },
  sources: readonly string[],
): HeldPlan {
  const rows: { entry: HeldEntry; ref: HeldEntryRef }[] = [];
  for (const day of days)
    for (const t of day.terminals) {
      if (t.terminalId !== terminalId) continue;
      for (const slot of t.slots) {
        const programme = revisions.get(slot.scheduleId)?.programme;
        const source = programme && heldSource(programme.source);
        if (!programme || !source || !sources.includes(source.source)) continue;
        for (const part of slot.plays)
          rows.push({
            entry: {
              ...source,
              start: Math.floor(part.from.getTime() / 1000),
              end: Math.floor(part.to.getTime() / 1000),
              priority: programme.priority,
              volume: programme.volume,
            },
            ref: {
              scheduleId: slot.scheduleId,
              plannedStart: slot.start.toISOString(),
              plannedEnd: slot.end.toISOString(),
              source: programme.source.kind,
            },
          });
      }
    }
  const kept = rows
    .filter((r) => r.entry.end > r.entry.start && r.entry.start >= window.validFrom && r.entry.end <= window.validUntil)
    .sort((a, b) => a.entry.start - b.entry.start || a.ref.scheduleId - b.ref.scheduleId)
    .slice(0, REGISTERS.held.maxEntries);
  return { entries: kept.map((r) => r.entry), refs: kept.map((r) => r.ref), ...window };
}
