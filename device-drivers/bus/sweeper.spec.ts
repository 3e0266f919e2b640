import { BehaviorSubject, firstValueFrom, map, Subject, take, toArray, type Observable } from 'rxjs';
import {
  BusError,
  type BusErrorKind,
  type BusEvent,
  type BusMetrics,
  type ClipTransferResult,
  type CommandResult,
  type ConnectionState,
  type RequestOptions,
  type TerminalBus,
  type TerminalIdentity,
  type TerminalStatus,
} from '../terminal-bus';
import { ManualClock } from '../transport/clock';
import { Sweeper, type PollOutcome, type SweepSummary } from './sweeper';

const STATUS: TerminalStatus = {
  state: 1,
  priority: 15,
  source: 'none',
  clipId: 0,
  broadcastId: null,
  broadcastClass: 0,
  volume: 60,
  faults: [],
  supplyVoltage: 24,
  temperature: 30,
  signalQuality: null,
  uptimeSeconds: 100,
  counters: { crcErrors: 0, refusedCommands: 0 },
  lastCommandSequence: 0,
  clock: null,
};

/** A bus whose units answer as told: 'ok', or fail with a kind, each call taking one step of the manual clock. */
class ScriptedBus implements TerminalBus {
  readonly id = 'bus-1';
  readonly family = 'modbus' as const;
  readonly state = new BehaviorSubject<ConnectionState>('connected');
  readonly own = new Subject<BusEvent>();
  readonly events: Observable<BusEvent>;
  readonly answers = new Map<number, ('ok' | BusErrorKind)[]>();
  readonly calls: { unit: number; priority: string | undefined }[] = [];
  outstanding = 0;
  maxOutstanding = 0;

  constructor(private readonly clock: ManualClock) {
    this.events = this.state.pipe(
      map((s): BusEvent => ({ type: 'connection', busId: this.id, state: s, at: clock.now() })),
    );
  }

  connectionState(): ConnectionState {
    return this.state.value;
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
  readStatus(unit: number, opts?: RequestOptions): Promise<TerminalStatus> {
    this.calls.push({ unit, priority: opts?.priority });
    this.outstanding++;
    this.maxOutstanding = Math.max(this.maxOutstanding, this.outstanding);
    const script = this.answers.get(unit) ?? [];
    const answer = script.length > 1 ? (script.shift() as 'ok' | BusErrorKind) : (script[0] ?? 'ok');
    return new Promise((resolve, reject) => {
      this.clock.setTimeout(
        () => {
          this.outstanding--;
          if (answer === 'ok') resolve(STATUS);
          else reject(new BusError(answer, this.id, unit, 'FC03 status', answer));
        },
        answer === 'backoff' ? 0 : 10,
      );
    });
  }
  identify(): Promise<TerminalIdentity> {
    return Promise.reject(new Error('not used'));
  }
  command(): Promise<CommandResult> {
    return Promise.reject(new Error('not used'));
  }
  transferClip(): Promise<ClipTransferResult> {
    return Promise.reject(new Error('not used'));
  }
  readRegisters(): Promise<number[]> {
    return Promise.reject(new Error('not used'));
  }
  metrics(): BusMetrics {
    return {
      busId: this.id,
      connection: this.state.value,
      utilisation: 0,
      queueDepth: { emergency: 0, command: 0, transfer: 0, poll: 0 },
      transactions: 0,
      errors: {},
      backedOff: [],
    };
  }
}

/** Lets every pending promise callback run (no time passes). */
const drain = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Advances the manual clock in small steps until the promise settles. */
async function run<T>(clock: ManualClock, p: Promise<T>): Promise<T> {
  let done = false;
  void p.finally(() => (done = true)).catch(() => undefined);
  for (let i = 0; i < 10_000 && !done; i++) {
    clock.advance(5);
    await drain();
  }
  return p;
}

describe('Sweeper', () => {
  it('polls every unit at the poll class, at most two outstanding, and sums the sweep up', async () => {
    const clock = new ManualClock();
    const bus = new ScriptedBus(clock);
    const sweeper = new Sweeper({ bus, clock, units: [1, 2, 3, 4, 5] });
    const outcomes = firstValueFrom(sweeper.outcomes.pipe(take(5), toArray()));
    const summary = await run(clock, sweeper.sweepOnce());
    expect(summary).toMatchObject({ units: 5, ok: 5, failed: 0, skipped: 0 });
    expect((await outcomes).map((o) => o.unit).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(bus.calls.every((c) => c.priority === 'poll')).toBe(true);
    expect(bus.maxOutstanding).toBe(2);
  });

  it('retries a failed poll once at once, reports a unit that fails twice, and skips a backed-off unit silently', async () => {
    const clock = new ManualClock();
    const bus = new ScriptedBus(clock);
    bus.answers.set(1, ['timeout', 'ok']);
    bus.answers.set(2, ['timeout']);
    bus.answers.set(3, ['backoff']);
    const sweeper = new Sweeper({ bus, clock, units: [1, 2, 3] });
    const seen: PollOutcome[] = [];
    sweeper.outcomes.subscribe((o) => seen.push(o));
    const summary = await run(clock, sweeper.sweepOnce());
    expect(summary).toMatchObject({ units: 3, ok: 1, failed: 1, skipped: 1 });
    expect(bus.calls.filter((c) => c.unit === 1)).toHaveLength(2);
    expect(bus.calls.filter((c) => c.unit === 2)).toHaveLength(2);
    expect(seen.map((o) => [o.unit, o.ok ? 'ok' : o.error])).toEqual(
      expect.arrayContaining([
        [1, 'ok'],
        [2, 'timeout'],
      ]),
    );
    expect(seen.some((o) => o.unit === 3)).toBe(false);
  });

  it('reports the failure itself when the scheduler backs the unit off at once (a unit not heard from), and does not retry an answer', async () => {
    const clock = new ManualClock();
    const bus = new ScriptedBus(clock);
    bus.answers.set(1, ['timeout', 'backoff']);
    bus.answers.set(2, ['exception', 'ok']);
    const sweeper = new Sweeper({ bus, clock, units: [1, 2] });
    const seen: PollOutcome[] = [];
    sweeper.outcomes.subscribe((o) => seen.push(o));
    const summary = await run(clock, sweeper.sweepOnce());
    expect(summary).toMatchObject({ units: 2, ok: 0, failed: 2, skipped: 0 });
    expect(seen.map((o) => [o.unit, o.ok ? 'ok' : o.error]).sort()).toEqual([
      [1, 'timeout'],
      [2, 'exception'],
    ]);
    expect(bus.calls.filter((c) => c.unit === 2)).toHaveLength(1);
  });

  it('pauses after a sweep that reached no unit on the wire (all backed off) instead of spinning', async () => {
    const clock = new ManualClock();
    const bus = new ScriptedBus(clock);
    bus.answers.set(1, ['backoff']);
    bus.answers.set(2, ['disconnected']);
    const sweeper = new Sweeper({ bus, clock, units: [1, 2] });
    const sweeps: SweepSummary[] = [];
    sweeper.sweeps.subscribe((s) => sweeps.push(s));
    sweeper.start();
    for (let i = 0; i < 100; i++) {
      clock.advance(5);
      await drain();
    }
    expect(sweeps).toHaveLength(1); // 500 ms: the next sweep waits a second
    expect(sweeps[0]).toMatchObject({ units: 2, ok: 0, failed: 1, skipped: 1 });
    await run(clock, sweeper.stop());
  });

  it('waits while the bus is disconnected and resumes on its own when it reconnects', async () => {
    const clock = new ManualClock();
    const bus = new ScriptedBus(clock);
    bus.state.next('disconnected');
    const sweeper = new Sweeper({ bus, clock, units: [1, 2], intervalMs: 100 });
    sweeper.start();
    for (let i = 0; i < 100; i++) {
      clock.advance(50);
      await drain();
    }
    expect(bus.calls).toHaveLength(0);
    const firstSweep = firstValueFrom(sweeper.sweeps);
    bus.state.next('connected');
    expect(await run(clock, firstSweep)).toMatchObject({ units: 2, ok: 2 });
    await run(clock, sweeper.stop());
  });

  it('follows setUnits from the next poll and sweeps again after the pause until stopped', async () => {
    const clock = new ManualClock();
    const bus = new ScriptedBus(clock);
    const sweeper = new Sweeper({ bus, clock, units: [1, 2], intervalMs: 1000 });
    const summaries = firstValueFrom(sweeper.sweeps.pipe(take(2), toArray()));
    sweeper.start();
    await run(clock, firstValueFrom(sweeper.sweeps));
    sweeper.setUnits([2, 3, 4]);
    const [, second] = await run(clock, summaries);
    expect(second.units).toBe(3);
    expect(second.startedAt - (await summaries)[0].endedAt).toBeGreaterThanOrEqual(1000);
    expect(
      bus.calls
        .slice(2)
        .map((c) => c.unit)
        .sort(),
    ).toEqual([2, 3, 4]);
    await run(clock, sweeper.stop());
    const before = bus.calls.length;
    for (let i = 0; i < 100; i++) {
      clock.advance(50);
      await drain();
    }
    expect(bus.calls.length).toBe(before);
  });
});
