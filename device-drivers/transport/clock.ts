/**
 * The injectable clock every driver, scheduler and simulator takes instead of reaching for globals (docs/architecture.md, "Rules of the house"):
 * now() plus cancellable timers. `systemClock` is the real one; `ManualClock` moves only when told, for tests
 * without sleeps.
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  },
};

/**
 * A clock that moves only when told. Timers fire in time order (ties in the order they were set), each seeing now()
 * at its due time; timers set while advancing fire in the same advance when due.
 */
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

  /** How many timers are waiting. */
  pending(): number {
    return this.timers.size;
  }

  /** When the earliest timer is due, or null when none waits. */
  nextDueAt(): number | null {
    let at: number | null = null;
    for (const tm of this.timers.values()) if (at === null || tm.at < at) at = tm.at;
    return at;
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
