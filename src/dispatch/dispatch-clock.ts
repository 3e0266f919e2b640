/** The engine's time: the server's Clock, with sleeps that end early when the engine stops (so a closing server never waits on them). */
import { Clock, type TimerHandle } from '../common/clock';

export class DispatchClock extends Clock {
  private readonly timers = new Set<{ timer: TimerHandle; resolve: () => void }>();
  private stopped = false;

  constructor(private readonly clock: Clock) {
    super();
  }

  now(): number {
    return this.clock.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.clock.setTimeout(fn, ms);
  }

  override sleep(ms: number): Promise<void> {
    if (this.stopped || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = { timer: this.clock.setTimeout(() => (this.timers.delete(entry), resolve()), ms), resolve };
      this.timers.add(entry);
    });
  }

  /** Ends every sleep now and every later one at once. */
  stop(): void {
    this.stopped = true;
    for (const t of this.timers) {
      t.timer.cancel();
      t.resolve();
    }
    this.timers.clear();
  }
}
