/**
 * The server's one clock: now() and cancellable timers, the same shape as the drivers' clock
 * (device-drivers/transport/clock.ts), so that one instance serves the field module and every service. Services take
 * it by injection instead of reaching for `Date.now()` or `new Date()`; a test may give a clock of its own.
 */
export interface TimerHandle {
  cancel(): void;
}

export abstract class Clock {
  /** Milliseconds since the epoch. */
  abstract now(): number;
  abstract setTimeout(fn: () => void, ms: number): TimerHandle;

  /** now() as a Date (for rows and views). */
  date(): Date {
    return new Date(this.now());
  }

  /** Resolves after `ms` (at once when ms ≤ 0). */
  sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => void this.setTimeout(resolve, ms));
  }
}

export class SystemClock extends Clock {
  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, ms);
    return { cancel: () => clearTimeout(t) };
  }
}
