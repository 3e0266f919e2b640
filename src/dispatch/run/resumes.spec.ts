import { Clock, type TimerHandle } from '../../common/clock';
import { FieldError, type TerminalStatus } from '../../field/field-port';
import { BroadcastEntity } from '../broadcast.entities';
import type { BusLink, PlayCommand, StopCommand } from '../bus-plan';
import { DeliveryLedger, type LedgerRow } from '../delivery-ledger';
import { dispatchPolicy } from '../dispatch-policy';
import type { RunContext } from './run-context';
import { RunState } from './run-state';
import { Resumes } from './resumes';

const RELAY = '43415230000000101010101202612078001';
const ALERT = '43415230000000101010101202612079001';
const T0 = Date.parse('2026-12-07T04:00:00.000Z');

/** Time moves only when a sleep asks it to (every wait of the start phase is a sleep). */
class FakeClock extends Clock {
  t = T0 + 10_000;
  readonly slept: number[] = [];
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.t += ms;
    queueMicrotask(fn);
    return { cancel: () => undefined };
  }
  override sleep(ms: number): Promise<void> {
    if (ms > 0) this.slept.push(ms);
    return super.sleep(ms);
  }
}

const idle: TerminalStatus = {
  state: 1,
  priority: 15,
  source: 'none',
  clipId: 0,
  broadcastId: null,
  broadcastClass: 0,
  volume: 60,
  faults: [],
  supplyVoltage: null,
  temperature: null,
  signalQuality: null,
  uptimeSeconds: null,
  counters: { crcErrors: 0, refusedCommands: 0 },
  lastCommandSequence: 0,
  clock: null,
};

/** Terminals that obey by priority; a play's answer can be lost (the terminal took it or not), an alert can linger. */
class Bus implements BusLink {
  readonly id = 'bus-1';
  readonly sent: string[] = [];
  readonly sessions = new Map<number, { broadcastId: string; priority: number; until: number }>();
  /** Plays whose answer is lost on the way to the terminal (it never hears them), per key. */
  readonly lose = new Map<number, number>();
  private sequence = 100;
  constructor(
    readonly keys: number[],
    private readonly clock: FakeClock,
  ) {}
  private session(k: number) {
    const s = this.sessions.get(k);
    if (s && this.clock.now() >= s.until) this.sessions.delete(k);
    return this.sessions.get(k);
  }
  private hear(k: number, c: PlayCommand | StopCommand): boolean {
    const now = this.session(k);
    if (c.code !== 'play' || (now && c.priority > now.priority)) return false;
    this.sessions.set(k, { broadcastId: c.broadcastId as string, priority: c.priority, until: Infinity });
    return true;
  }
  transfer(): ReturnType<BusLink['transfer']> {
    return Promise.reject(new Error('nothing to transfer'));
  }
  commandAll(c: PlayCommand | StopCommand): Promise<number | null> {
    this.sent.push(`all ${c.code}${c.code === 'play' && c.startAt ? ' at' : ''}`);
    for (const k of this.keys) this.hear(k, c);
    return Promise.resolve(++this.sequence);
  }
  command(k: number, c: PlayCommand | StopCommand): Promise<number | null> {
    this.sent.push(`${k} ${c.code}${c.code === 'play' && c.startAt ? ' at' : ''}`);
    const lost = this.lose.get(k) ?? 0;
    if (lost > 0) {
      this.lose.set(k, lost - 1);
      return Promise.reject(
        new FieldError({ kind: 'timeout', exceptionCode: null, message: 'Timed out' }, 'bus-1', k, 'command play'),
      );
    }
    if (!this.hear(k, c))
      return Promise.reject(
        new FieldError({ kind: 'refused', exceptionCode: null, message: 'outranked' }, 'bus-1', k, 'command play'),
      );
    return Promise.resolve(++this.sequence);
  }
  status(k: number): Promise<TerminalStatus> {
    const s = this.session(k);
    return Promise.resolve(
      s
        ? { ...idle, state: 5, priority: s.priority, broadcastId: s.broadcastId, source: 'fm', broadcastClass: 5 }
        : idle,
    );
  }
}

function setUp(units: number[], states: Record<number, LedgerRow['state']>) {
  const clock = new FakeClock();
  const bus = new Bus(units, clock);
  const broadcast = Object.assign(new BroadcastEntity(), {
    broadcastId: RELAY,
    source: 'fm',
    sourceParam: 9530,
    clipId: '',
    priority: 6,
    broadcastClass: 5,
    repeat: 0,
    volume: 70,
    emergency: false,
    startAt: new Date(T0),
    endAt: new Date(T0 + 60_000),
  });
  const rows: LedgerRow[] = Object.entries(states).map(([t, state], i) => ({
    id: i + 1,
    terminalId: Number(t),
    areaCode: '341523100201',
    gatewayId: 1,
    unit: Number(t),
    state,
    reason: null,
    preemptedBroadcastId: null,
  }));
  const ctx = {
    clock,
    policy: dispatchPolicy({ startLeadMs: 1500, equalPriority: 'newest-wins' }, 5000),
    locate: () => ({ gatewayId: 1 }),
    link: () => bus,
    unitsOn: () => Promise.resolve(new Map([[1, units.length]])),
    flush: () => Promise.resolve(),
    halted: () => false,
    offline: () => false,
  } as unknown as RunContext;
  const run = new RunState(broadcast, new DeliveryLedger(rows), ctx);
  return { clock, bus, run, resumes: new Resumes(run) };
}

describe('the resumption of a preempted delivery', () => {
  it('brings every terminal of a bus back with one bus-wide play when all of them wait to resume, and verifies each', async () => {
    const { bus, run, resumes } = setUp([1, 2, 3], { 1: 'preempted', 2: 'preempted', 3: 'unreachable' });
    await Promise.all([resumes.resume(1, bus), resumes.resume(2, bus)]);
    // a play without start time: it starts at once
    expect(bus.sent).toEqual(['all play']);
    expect(run.ledger.ofTerminal(1)?.state).toBe('playing');
    expect(run.ledger.ofTerminal(2)?.state).toBe('playing');
    await expect(bus.status(1)).resolves.toMatchObject({ broadcastId: RELAY });
  });

  it('does not play bus-wide where a terminal of the bus does not wait to resume, and retries a play lost on the line', async () => {
    const { bus, run, resumes, clock } = setUp([1, 2, 3], { 1: 'preempted', 2: 'preempted', 3: 'playing' });
    bus.lose.set(1, 2);
    await Promise.all([resumes.resume(1, bus), resumes.resume(2, bus)]);
    expect(bus.sent.filter((s) => s.startsWith('all'))).toEqual([]);
    expect(bus.sent.filter((s) => s === '1 play')).toHaveLength(3);
    expect(clock.slept).toEqual([200, 500]);
    expect(run.ledger.ofTerminal(1)).toMatchObject({ state: 'playing' });
    expect(run.ledger.ofTerminal(2)).toMatchObject({ state: 'playing' });
  });

  it('waits out an alert that still plays on a terminal, and resumes it once the alert has ended', async () => {
    const { bus, run, resumes, clock } = setUp([1, 2], { 1: 'preempted', 2: 'preempted' });
    bus.sessions.set(2, { broadcastId: ALERT, priority: 2, until: clock.now() + 1500 });
    await Promise.all([resumes.resume(1, bus), resumes.resume(2, bus)]);
    expect(run.ledger.ofTerminal(1)?.state).toBe('playing');
    expect(run.ledger.ofTerminal(2)?.state).toBe('playing');
    // refused while the alert played (outranked), started on its own after it
    expect(bus.sent[0]).toBe('all play');
    expect(bus.sent.filter((s) => s === '2 play').length).toBeGreaterThan(1);
  });

  it('gives up at the end of the broadcast window, and leaves one no longer preempted alone', async () => {
    const { bus, run, resumes, clock } = setUp([1, 2], { 1: 'preempted', 2: 'playing' });
    bus.sessions.set(1, { broadcastId: ALERT, priority: 2, until: Infinity });
    await resumes.resume(1, bus);
    expect(run.ledger.ofTerminal(1)?.state).toBe('preempted');
    expect(clock.now()).toBeLessThanOrEqual(T0 + 60_000 + 2000);
    await resumes.resume(2, bus);
    expect(bus.sent.some((s) => s.startsWith('2 '))).toBe(false);
  });

  it('sends the terminals playing the play again with the new end of a lengthened window', async () => {
    const { bus, run, resumes } = setUp([1, 2, 3], { 1: 'playing', 2: 'playing', 3: 'preempted' });
    for (const k of [1, 2]) bus.sessions.set(k, { broadcastId: RELAY, priority: 6, until: Infinity });
    const ends: number[] = [];
    const command = bus.command.bind(bus);
    bus.command = (k, c) => {
      if (c.code === 'play') ends.push(c.endAt?.getTime() ?? 0);
      return command(k, c);
    };
    run.broadcast.endAt = new Date(T0 + 90_000);
    await resumes.renew(run.ledger.inState('playing'));
    // not bus-wide: terminal 3 waits to resume (it is not told here)
    expect(bus.sent.sort()).toEqual(['1 play', '2 play']);
    expect(ends).toEqual([T0 + 90_000, T0 + 90_000]);
    expect(run.ledger.inState('playing').map((r) => r.terminalId)).toEqual([1, 2]);
  });

  it('keeps the synchronised start in a play sent again before it, so the terminals do not start early', async () => {
    const { bus, run, resumes, clock } = setUp([1, 2], { 1: 'playing', 2: 'playing' });
    for (const k of [1, 2]) bus.sessions.set(k, { broadcastId: RELAY, priority: 6, until: Infinity });
    run.startAtMs = clock.now() + 2000;
    run.broadcast.endAt = new Date(T0 + 90_000);
    await resumes.renew(run.ledger.inState('playing'));
    expect(bus.sent).toEqual(['all play at']);
  });
});
