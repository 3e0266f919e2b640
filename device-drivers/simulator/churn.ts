/**
 * Status churn for `npm run bench -- province` (docs/performance.md, "Province"): simulated terminals change their
 * volume by themselves (a local knob, as a technician on site would turn it) at a set rate, the k-th change of a
 * schedule at k / rate seconds after its start, on a terminal drawn from the seed. The controller reads the volume in
 * its status polls, stores each change in the status history and pushes it on `/live`; every change is logged here
 * with the wall-clock time it was made, so the bench can match what a `/live` client sees against it.
 *
 * A terminal's n-th change (n from 1) sets volume `churnVolume(n)`: 20–99 in turn, never the value it replaces, so a
 * volume seen on `/live` names the change it came from (unless 80 changes of one terminal are in flight at once).
 */
import type { SimulatedNetwork } from './network';
import { seededRandom } from './random';

export function churnVolume(n: number): number {
  return 20 + (n % 80);
}

export interface ChurnChange {
  /** ms after the schedule's start */
  atMs: number;
  /** index into the schedule's targets */
  target: number;
  volume: number;
}

/** The changes of one schedule, in order; the same seed, rate and target count give the same changes. */
export class ChurnSchedule {
  private readonly random: () => number;
  private readonly counts: Uint32Array;
  private k = 0;

  constructor(
    seed: number,
    readonly ratePerS: number,
    readonly targets: number,
  ) {
    if (!(ratePerS > 0)) throw new RangeError(`churn rate: a positive number of changes a second, got ${ratePerS}`);
    if (!Number.isInteger(targets) || targets < 1) throw new RangeError(`churn targets: at least one, got ${targets}`);
    this.random = seededRandom(seed);
    this.counts = new Uint32Array(targets);
  }

  /** Changes made so far. */
  get made(): number {
    return this.k;
  }

  /** When the next change is due, ms after the start. */
  get nextAtMs(): number {
    return (this.k * 1000) / this.ratePerS;
  }

  next(): ChurnChange {
    const atMs = this.nextAtMs;
    this.k++;
    const target = Math.min(this.targets - 1, Math.floor(this.random() * this.targets));
    this.counts[target] += 1;
    return { atMs, target, volume: churnVolume(this.counts[target]) };
  }
}

/** What the churn of one simulator made: change i on (gateway[i], unit[i]) set volume[i] at wall-clock at[i] (ms). */
export interface ChurnLog {
  at: number[];
  gateway: number[];
  unit: number[];
  volume: number[];
}

/** How often due changes are made; a change is logged when it was made, not when it was due. */
const TICK_MS = 5;

/** Runs a schedule on a network's live terminals (those not dead when it starts) and logs what it did. */
export class ChurnRunner {
  private readonly log: ChurnLog = { at: [], gateway: [], unit: [], volume: [] };
  private readonly targets: [number, number][];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly net: SimulatedNetwork,
    private readonly now: () => number = Date.now,
  ) {
    const dead = new Set(net.deadUnits().map(([g, u]) => `${g}:${u}`));
    this.targets = net.gateways.flatMap((g, i) =>
      g.bus
        .unitIds()
        .filter((u) => !dead.has(`${i}:${u}`))
        .map((u): [number, number] => [i, u]),
    );
  }

  get liveTargets(): number {
    return this.targets.length;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /** Starts (or restarts) churning at `ratePerS`; nothing happens on a network without a live terminal. */
  start(ratePerS: number, seed: number): void {
    this.stop();
    if (this.targets.length === 0) return;
    const schedule = new ChurnSchedule(seed, ratePerS, this.targets.length);
    const started = this.now();
    this.timer = setInterval(() => this.makeDue(schedule, started), TICK_MS);
  }

  /** Makes every change due by now (also called by the timer). */
  makeDue(schedule: ChurnSchedule, started: number): void {
    const at = this.now();
    while (schedule.nextAtMs <= at - started) {
      const c = schedule.next();
      const [gateway, unit] = this.targets[c.target];
      this.net.setVolume(gateway, unit, c.volume);
      this.log.at.push(at);
      this.log.gateway.push(gateway);
      this.log.unit.push(unit);
      this.log.volume.push(c.volume);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  get made(): number {
    return this.log.at.length;
  }

  /** Up to `max` logged changes from the `from`-th on. */
  slice(from: number, max: number): ChurnLog {
    const end = Math.min(this.log.at.length, from + max);
    return {
      at: this.log.at.slice(from, end),
      gateway: this.log.gateway.slice(from, end),
      unit: this.log.unit.slice(from, end),
      volume: this.log.volume.slice(from, end),
    };
  }
}
