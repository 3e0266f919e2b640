/**
 * A clock that moves only when told (STYLE.md 3: fake timers instead of sleeps). Timers fire in time order, each
 * seeing now() at its due time; timers set while advancing fire in the same advance when due.
 */
import type { Clock, TimerHandle } from './ports';

export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = Date.UTC(2024, 9, 23, 2, 0, 0)) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
    return { cancel: () => this.timers.delete(id) };
  }

  pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Infinity;
      for (const [id, tm] of this.timers) {
        if (tm.at <= end && (tm.at < nextAt || (tm.at === nextAt && id < nextId))) {
          nextId = id;
          nextAt = tm.at;
        }
      }
      if (nextId < 0) break;
      const tm = this.timers.get(nextId)!;
      this.timers.delete(nextId);
      this.t = nextAt;
      tm.fn();
    }
    this.t = end;
  }
}
