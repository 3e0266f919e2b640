/**
 * Time for the cluster suites: one ManualClock shared by every instance (one time line, as NTP-synchronised
 * machines), and a view of it per instance that can be paused (a process stopped or partitioned: its timers do not
 * fire while time goes on; they fire late when it resumes) or killed (they never fire again).
 */
import { Clock, type TimerHandle } from '../../src/common/clock';

interface Timer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

export class ManualClock extends Clock {
  private timers: Timer[] = [];
  private seq = 0;
  constructor(private t: number) {
    super();
  }
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }
  /** Moves time forward by `ms`, firing every timer that falls due, in order. */
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      const due = this.timers
        .filter((x) => !x.cancelled && x.at <= until)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((x) => x !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = until;
  }
}

export class InstanceClock extends Clock {
  private paused = false;
  private killed = false;
  private late: (() => void)[] = [];
  constructor(private readonly shared: ManualClock) {
    super();
  }
  now(): number {
    return this.shared.now();
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    return this.shared.setTimeout(() => {
      if (this.killed) return;
      if (this.paused) this.late.push(fn);
      else fn();
    }, ms);
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    const late = this.late;
    this.late = [];
    for (const fn of late) fn();
  }
  kill(): void {
    this.killed = true;
  }
}
