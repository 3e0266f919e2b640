/**
 * The status sweeper: polls every unit of one bus in turn, sweep after sweep, at the 'poll' class — so commands,
 * clip transfers and emergencies, which the scheduler serves first, only ever wait for the poll in flight. At most
 * two polls are outstanding: the wire never idles between polls, and a burst of commands never queues behind a
 * pile of them. A poll the unit did not answer properly is retried at once (noise on the line) when the scheduler
 * allows it — it does for a unit that answered its previous request, not for one never heard from or already failing,
 * so a dead unit costs one timeout; a unit the scheduler has backed off fails fast and is skipped, costing no wire
 * time. While the bus is disconnected the sweeper waits for the reconnect instead of spinning.
 */
import { Subject, type Observable } from 'rxjs';
import { BusError, type BusErrorKind, type TerminalBus, type TerminalStatus } from '../terminal-bus';
import type { Clock } from '../transport/clock';
import { isUnitFailure } from './backoff';

export type PollOutcome =
  | { unit: number; ok: true; status: TerminalStatus; at: number }
  | { unit: number; ok: false; error: BusErrorKind; message: string; at: number };

export interface SweepSummary {
  units: number;
  ok: number;
  failed: number;
  /** Units skipped because the scheduler has them backed off. */
  skipped: number;
  startedAt: number;
  endedAt: number;
}

export interface SweeperOptions {
  bus: TerminalBus;
  clock: Clock;
  units?: readonly number[];
  /** Pause between the end of one sweep and the start of the next, ms; 0 = continuous (default). */
  intervalMs?: number;
  /** A failed poll is retried this many times at once; default 1. */
  retries?: number;
}

/** Polls in the scheduler's queue at once, per bus. */
const OUTSTANDING = 2;
/** The pause after a sweep that put nothing on the wire (every unit backed off, or the link down but not yet known so). */
const IDLE_PAUSE_MS = 1000;

export class Sweeper {
  private readonly outcomeSubject = new Subject<PollOutcome>();
  private readonly sweepSubject = new Subject<SweepSummary>();
  private units: number[];
  /** Polls of the sweep in progress that reached the wire (answered, or left unanswered by the unit). */
  private onWire = 0;
  private running: Promise<void> | null = null;
  private stopping = false;
  /** The wait in progress (between sweeps, or for a reconnect), which stop() cuts short. */
  private pause: { cancel(): void; wake(): void } | null = null;

  constructor(private readonly opts: SweeperOptions) {
    this.units = [...(opts.units ?? [])];
  }

  /** Every poll's result, after retries; units skipped for backoff are not reported. */
  get outcomes(): Observable<PollOutcome> {
    return this.outcomeSubject.asObservable();
  }

  /** One summary per finished sweep. */
  get sweeps(): Observable<SweepSummary> {
    return this.sweepSubject.asObservable();
  }

  /** Takes effect from the next poll: removed units are no longer polled, added ones join the sweep in progress. */
  setUnits(units: readonly number[]): void {
    this.units = [...units];
  }

  /** Sweeps until stop(). */
  start(): void {
    if (this.running) return;
    this.stopping = false;
    this.running = this.loop();
  }

  /** Ends the loop; resolves once the polls in flight have settled. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.pause?.cancel();
    this.pause?.wake();
    await this.running;
    this.running = null;
  }

  /** One full sweep of the current units (benchmarks, tests); not to be combined with start(). */
  async sweepOnce(): Promise<SweepSummary> {
    const startedAt = this.opts.clock.now();
    const summary: SweepSummary = { units: 0, ok: 0, failed: 0, skipped: 0, startedAt, endedAt: startedAt };
    const polled = new Set<number>();
    this.onWire = 0;
    const nextUnit = (): number | undefined => {
      // read the live list each time, so units added or removed mid-sweep are honoured
      const u = this.units.find((x) => !polled.has(x));
      if (u !== undefined) polled.add(u);
      return u;
    };
    const worker = async (): Promise<void> => {
      for (let u = nextUnit(); u !== undefined && !this.stopping; u = nextUnit()) {
        summary.units++;
        const result = await this.poll(u);
        summary[result]++;
      }
    };
    await Promise.all(Array.from({ length: OUTSTANDING }, worker));
    summary.endedAt = this.opts.clock.now();
    this.sweepSubject.next(summary);
    return summary;
  }

  private async poll(unit: number): Promise<'ok' | 'failed' | 'skipped'> {
    const attempts = 1 + (this.opts.retries ?? 1);
    let failure: BusError | null = null;
    for (let i = 0; i < attempts; i++) {
      try {
        const status = await this.opts.bus.readStatus(unit, { priority: 'poll' });
        this.onWire++;
        this.outcomeSubject.next({ unit, ok: true, status, at: this.opts.clock.now() });
        return 'ok';
      } catch (e) {
        const error =
          e instanceof BusError
            ? e
            : new BusError('protocol', this.opts.bus.id, unit, 'FC03 status', (e as Error).message);
        // backed off before this sweep reached it: skipped, no wire time spent; backed off by the failure just seen
        // (a unit not heard from is backed off at its first failure): that failure is the outcome
        if (error.kind === 'backoff') {
          if (failure === null) return 'skipped';
          break;
        }
        failure = error;
        if (error.kind !== 'disconnected' && error.kind !== 'deadline') this.onWire++;
        // only a unit that did not answer properly is worth a second try; an exception, a refusal, a stopped bus
        // or a passed deadline would be the same again
        if (!isUnitFailure(error.kind)) break;
      }
    }
    return this.fail(unit, failure as BusError);
  }

  private fail(unit: number, e: BusError): 'failed' {
    this.outcomeSubject.next({ unit, ok: false, error: e.kind, message: e.message, at: this.opts.clock.now() });
    return 'failed';
  }

  private async loop(): Promise<void> {
    while (!this.stopping) {
      if (this.opts.bus.connectionState() !== 'connected') {
        await this.connected();
        continue;
      }
      if (this.units.length === 0) {
        await this.wait(Math.max(this.opts.intervalMs ?? 0, 1000));
        continue;
      }
      await this.sweepOnce();
      // a sweep that never reached the wire took no time: pause rather than spin
      const pause =
        this.onWire === 0 ? Math.max(this.opts.intervalMs ?? 0, IDLE_PAUSE_MS) : (this.opts.intervalMs ?? 0);
      if (pause > 0 && !this.stopping) await this.wait(pause);
    }
  }

  /** Resolves when the bus reports 'connected', when stop() is called, or when the bus's events end (it stopped). */
  private async connected(): Promise<void> {
    let wake: () => void = () => undefined;
    const woken = new Promise<void>((resolve) => (wake = resolve));
    const subscription = this.opts.bus.events.subscribe({
      next: (e) => {
        if (e.type === 'connection' && e.state === 'connected') wake();
      },
      complete: () => {
        this.stopping = true;
        wake();
      },
    });
    this.pause = { cancel: () => undefined, wake };
    // the state may have changed before the subscription
    if (this.opts.bus.connectionState() === 'connected' || this.stopping) wake();
    await woken;
    subscription.unsubscribe();
    this.pause = null;
  }

  private wait(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.opts.clock.setTimeout(() => {
        this.pause = null;
        resolve();
      }, ms);
      this.pause = { cancel: () => timer.cancel(), wake: resolve };
    });
  }
}
