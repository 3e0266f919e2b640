/** A play on a simulated terminal (terminal-model.ts): what it plays, at which priority, from when until when. */
import type { SourceKind } from '../../terminal-bus';

export interface PlaySession {
  source: SourceKind;
  clipId: number;
  priority: number;
  broadcastClass: number;
  /** Plays of the clip; 0 = until the end time or a stop. */
  repeat: number;
  volume: number;
  /** When sound starts (a synchronised start waits for it). */
  startAt: number;
  /** Window end; absent = until the clip has played `repeat` times (or forever for a live source). */
  endAt: number | null;
  /** PROTOCOL.md §3.1 handle of the broadcast id, 0 none. */
  broadcastHandle: number;
  /** Length of one play of the clip, ms; null for a live source. */
  durationMs: number | null;
  /** A play of the held schedule's entry (PROTOCOL.md §9), not commanded. */
  held?: { tableId: number; index: number };
}
