/**
 * The held schedule's plays on a simulated terminal (terminal-modbus PROTOCOL.md §9.4, §9.5): which entry starts when
 * the link is lost, the play it starts, and the record a held play leaves in the log when it ends.
 *
 * When a held entry starts is a pure function of the table, the entries already started, and what plays
 * (nextHeldStart): the earliest moment in [from, until) at which an entry not yet started is open (its start passed,
 * its end not reached, inside the table's window) and nothing of equal or higher priority plays. Ties: the stronger
 * entry (lower priority number), then the lower index.
 */
import type { ActiveTable, HeldStore } from './held-store';
import type { PlaySession } from './play-session';

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

/** What the held plays see of the terminal they run on (TerminalModel). */
export interface HeldTerminal {
  /** The terminal's clock minus bus time, ms. */
  clockOffsetMs(): number;
  /** When the terminal last heard a good request (bus ms); the link is lost a hold-off after it. */
  lastHeard(): number;
  /** The terminal's volume, for an entry of volume 255. */
  volume(): number;
  /** What plays now, held or not; null when nothing does. */
  playing(): Blocker | null;
  /** A stored clip the terminal holds committed. */
  clip(clipId: number): { durationMs: number } | undefined;
  /** A session past its end at `at` (bus ms) is finished. */
  endDue(at: number): void;
  /** `session` starts at `at` (bus ms) in place of what plays. */
  startPlay(session: PlaySession, at: number): void;
}

/** The held plays of one terminal: which entries of the active table have started, and up to when that is known. */
export class HeldPlays {
  /** Entries of the active table started (or given up) since it became active or the terminal started. */
  private readonly done = new Set<number>();
  private tableId = 0;
  /** Held plays are worked out up to here (bus ms): never again before it. */
  private cursor = 0;

  constructor(private readonly held: HeldStore) {}

  /** The terminal started again: every entry may start once more. */
  restart(): void {
    this.done.clear();
  }

  /**
   * §9.4 between the last hearing and `now`: from a hold-off after it, each entry of the active table plays from its
   * start (or from the loss, when the link was lost during it) to its end, unless a play of equal or higher priority
   * is on — then from when that ends, if the entry is still open. An entry starts at most once per table and start-up.
   */
  run(now: number, terminal: HeldTerminal): void {
    const table = this.held.active;
    if (!table) return;
    if (table.tableId !== this.tableId) {
      this.tableId = table.tableId;
      this.done.clear();
    }
    let at = Math.max(terminal.lastHeard() + table.holdOffSeconds * 1000, this.cursor);
    this.cursor = Math.max(this.cursor, now);
    for (let guard = 0; at < now && guard <= table.entries.length * 2; guard++) {
      terminal.endDue(at);
      const next = nextHeldStart(table, this.done, terminal.clockOffsetMs(), at, now, terminal.playing());
      if (next === null) return;
      terminal.endDue(next.at);
      this.done.add(next.index);
      this.start(terminal, table.tableId, next.index, next.at);
      at = next.at;
    }
  }

  /** An entry starts at `at` (bus time); one whose stored clip the terminal lacks is logged as not started. */
  private start(terminal: HeldTerminal, tableId: number, index: number, at: number): void {
    const e = this.held.active?.entries[index];
    if (!e) return;
    const clockOffsetMs = terminal.clockOffsetMs();
    const onBus = (s: number): number => s * 1000 - clockOffsetMs;
    let durationMs: number | null = null;
    if (e.source === 'stored') {
      const clip = terminal.clip(e.sourceParam);
      if (!clip) {
        const s = Math.floor((at + clockOffsetMs) / 1000);
        this.held.record(tableId, index, 'notStarted', s, s);
        return;
      }
      durationMs = clip.durationMs;
    }
    terminal.startPlay(
      {
        source: e.source,
        clipId: e.source === 'stored' ? e.sourceParam : 0,
        priority: e.priority,
        broadcastClass: 5,
        repeat: 0,
        volume: e.volume === 255 ? terminal.volume() : e.volume,
        startAt: at,
        endAt: onBus(e.end),
        broadcastHandle: 0,
        durationMs,
        held: { tableId, index },
      },
      at,
    );
  }

  /** `s`, when a held play, ends at `at` (bus time): its record goes to the log (§9.5). */
  close(s: PlaySession | null, at: number, outcome: 'whole' | 'command' | 'restart', clockOffsetMs: number): void {
    if (!s?.held) return;
    const sec = (t: number): number => Math.floor((t + clockOffsetMs) / 1000);
    this.held.record(s.held.tableId, s.held.index, outcome, sec(Math.max(s.startAt, 0)), sec(Math.max(at, s.startAt)));
  }
}
