/**
 * A simulated terminal's log of plays as they sounded (TerminalModel): one record per play from when sound started to
 * when it stopped, newest last, capped. Benches and tests read from it when terminals started and stopped.
 */
import type { PlayRecord } from '../modbus/virtual-bus';
import type { PlaySession } from './play-session';

const MAX_PLAY_LOG = 256;

export class PlayLog {
  readonly records: PlayRecord[] = [];
  private sounding: PlayRecord | null = null;

  /** `s` sounds from `at`. */
  start(s: PlaySession, at: number): void {
    this.sounding = { handle: s.broadcastHandle, source: s.source, priority: s.priority, startAt: at, endAt: null };
    if (s.held) this.sounding.held = true;
    this.records.push(this.sounding);
    if (this.records.length > MAX_PLAY_LOG) this.records.shift();
  }

  /** What sounded ends at `at`; one replaced before its synchronised start never sounded and leaves the log. */
  end(at: number): void {
    const r = this.sounding;
    if (!r) return;
    this.sounding = null;
    if (at > r.startAt) r.endAt = at;
    else this.records.splice(this.records.indexOf(r), 1);
  }
}
