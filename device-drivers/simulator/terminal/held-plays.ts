/**
 * When a held entry starts (terminal-modbus PROTOCOL.md §9.4), as a pure function of the table, the entries already
 * started, and what plays: the earliest moment in [from, until) at which an entry not yet started is open (its start
 * passed, its end not reached, inside the table's window) and nothing of equal or higher priority plays. Ties: the
 * stronger entry (lower priority number), then the lower index.
 */
import type { ActiveTable } from './held-store';

export interface Blocker {
  priority: number;
  /** When what plays ends by itself (bus ms); null: it does not. */
  end: number | null;
}

export function nextHeldStart(
  table: ActiveTable,
  done: ReadonlySet<number>,
  clockOffsetMs: number,
  from: number,
  until: number,
  playing: Blocker | null,
): { index: number; at: number } | null {
  let best: { index: number; at: number; priority: number } | null = null;
  table.entries.forEach((e, index) => {
    if (done.has(index)) return;
    const start = e.start * 1000 - clockOffsetMs;
    const end = Math.min(e.end, table.validUntil) * 1000 - clockOffsetMs;
    let at = Math.max(from, start, table.validFrom * 1000 - clockOffsetMs);
    if (playing && playing.priority <= e.priority) at = Math.max(at, playing.end ?? Infinity);
    if (at >= end || at >= until) return;
    if (best === null || at < best.at || (at === best.at && e.priority < best.priority))
      best = { index, at, priority: e.priority };
  });
  return best === null ? null : { index: (best as { index: number }).index, at: (best as { at: number }).at };
}
