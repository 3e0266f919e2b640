import { Clock, type TimerHandle } from '../../common/clock';
import { FieldError, type TerminalStatus } from '../../field/field-port';
import { BroadcastEntity } from '../broadcast.entities';
import type { BusLink } from '../bus-plan';
import { DeliveryLedger, type LedgerRow } from '../delivery-ledger';
import { dispatchPolicy } from '../dispatch-policy';
import { inDoubt, readInDoubt, transferLink } from './in-doubt';
import type { RunContext } from './run-context';
import { RunState } from './run-state';

const ALERT = '43415230000000101010101202612079001';
const T0 = Date.parse('2026-12-07T04:00:00.000Z');
const CHIME = { clipId: 7, codec: 'mp3', digest: 'd', data: new Uint8Array(0), durationMs: 4_000 };

/** Time moves only when a sleep asks it to. */
class FakeClock extends Clock {
  t = T0 + 20_000;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.t += Math.max(0, ms);
    queueMicrotask(fn);
    return { cancel: () => undefined };
  }
}

const idle = (lastCommandSequence: number): TerminalStatus => ({
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
  lastCommandSequence,
  clock: null,
});

/** Terminals that only answer reads: a key's reads are lost `lost` times, then answered (never, with no answer). */
class ReadOnlyBus implements Pick<BusLink, 'status'> {
  readonly reads: number[] = [];
  constructor(
    private readonly answers: Map<number, TerminalStatus>,
    private readonly lost = new Map<number, number>(),
  ) {}
  status(k: number): Promise<TerminalStatus> {
    this.reads.push(k);
    const lost = this.lost.get(k) ?? 0;
    this.lost.set(k, lost - 1);
    const a = this.answers.get(k);
    if (lost > 0 || !a)
      return Promise.reject(
        new FieldError({ kind: 'timeout', exceptionCode: null, message: 'Timed out' }, 'bus-1', k, 'FC03 status'),
      );
    return Promise.resolve(a);
  }
}

const row = (terminalId: number, over: Partial<LedgerRow>): LedgerRow => ({
  id: terminalId,
  terminalId,
  areaCode: '341523100201',
  gatewayId: 1,
  unit: terminalId,
  state: 'ready',
  reason: null,
  preemptedBroadcastId: null,
  ...over,
});

function setUp(rows: LedgerRow[], bus: ReadOnlyBus, busFloor: number | null) {
  const clock = new FakeClock();
  const broadcast = Object.assign(new BroadcastEntity(), {
    broadcastId: ALERT,
    source: null,
    clipId: 'tone-chime',
    priority: 2,
    broadcastClass: 4,
    repeat: 1,
    volume: 90,
    emergency: true,
    startAt: new Date(T0),
    endAt: new Date(T0 + 3_600_000),
  });
  const stored: number[] = [];
  const ctx = {
    clock,
    policy: dispatchPolicy({ startLeadMs: 1500, equalPriority: 'newest-wins' }, 5000),
    link: () => bus,
    flush: () => Promise.resolve(true),
    halted: () => false,
    // the continuing server signed nothing on the bus up to this; a floor taken at the run's start would be lower
    sequenceFloor: () => 150,
    busSequenceFloor: () => busFloor,
    stored: (t: number) => stored.push(t),
  } as unknown as RunContext;
  const run = new RunState(broadcast, new DeliveryLedger(rows), ctx);
  const plan = [{ gatewayId: 1, rows: run.ledger.rows(), clip: CHIME }];
  return { clock, bus, run, plan, stored };
}

describe('starts in doubt, read before anything is signed on their bus', () => {
  const sent = new Date(T0 + 1_000);

  it('counts as playing a terminal whose last command is the start recorded for it, or one signed after its floor by the previous holder', async () => {
    const rows = [
      // its start's sequence was recorded: the terminal's last command is it
      row(1, { startSentAt: sent, startFloor: 100, startSequence: 101 }),
      // the sender died before recording the sequence: a command above the floor, signed before this instance opened the bus
      row(2, { state: 'pending', startSentAt: sent, startFloor: 100, startSequence: null }),
      // it never took the start: its last command is older
      row(3, { startSentAt: sent, startFloor: 100, startSequence: 102 }),
      // its last command was signed after this instance opened the bus (above 140): not the start recorded
      row(4, { state: 'transferring', startSentAt: sent, startFloor: 100, startSequence: null }),
      // no start recorded: nothing in doubt, not read
      row(5, { state: 'pending' }),
    ];
    const bus = new ReadOnlyBus(
      new Map([
        [1, idle(101)],
        [2, idle(103)],
        [3, idle(90)],
        [4, idle(141)],
      ]),
    );
    const { run, plan, stored } = setUp(rows, bus, 140);
    expect(inDoubt(plan[0]).map((r) => r.terminalId)).toEqual([1, 2, 3, 4]);
    await readInDoubt(run, plan);
    const state = (t: number) => run.ledger.ofTerminal(t)?.state;
    expect([1, 2, 3, 4, 5].map(state)).toEqual(['playing', 'playing', 'ready', 'transferring', 'pending']);
    expect([...bus.reads].sort()).toEqual([1, 2, 3, 4]);
    expect(stored.sort()).toEqual([1, 2]);
    // each plays from its recorded start: sent, then the lead
    expect(run.endsAt.get(1)).toBe(sent.getTime() + 1500 + CHIME.durationMs);
    expect(run.ledger.ofTerminal(2)?.terminalClipId).toBe(CHIME.clipId);
  });

  it('without the bus floor falls back on the floor at the run start', async () => {
    const rows = [row(1, { startSentAt: sent, startFloor: 100, startSequence: null })];
    const { run, plan } = setUp(rows, new ReadOnlyBus(new Map([[1, idle(145)]])), null);
    await readInDoubt(run, plan);
    expect(run.ledger.ofTerminal(1)?.state).toBe('playing');
  });

  it('reads a terminal lost on the line as often as the start phase would, then leaves it as it was', async () => {
    const rows = [
      row(1, { startSentAt: sent, startFloor: 100, startSequence: 101 }),
      row(2, { startSentAt: sent, startFloor: 100, startSequence: 102 }),
    ];
    // terminal 1 answers its third read; terminal 2 never answers
    const bus = new ReadOnlyBus(new Map([[1, idle(101)]]), new Map([[1, 2]]));
    const { run, plan } = setUp(rows, bus, 140);
    await readInDoubt(run, plan);
    expect(run.ledger.ofTerminal(1)?.state).toBe('playing');
    expect(run.ledger.ofTerminal(2)?.state).toBe('ready');
    expect(bus.reads.filter((k) => k === 1)).toHaveLength(3);
    expect(bus.reads.filter((k) => k === 2)).toHaveLength(3);
  });

  it('a transfer on a bus where a start is in doubt prepares each terminal on its own; on another bus, as the driver likes', async () => {
    const rows = [
      row(1, { startSentAt: sent, startFloor: 100 }),
      // reached by a bus-wide start while it was being transferred to: it never took it (its last command is older)
      row(2, { state: 'transferring', startSentAt: sent, startFloor: 100, startSequence: 101 }),
      row(3, { gatewayId: 2, state: 'transferring' }),
      row(4, { gatewayId: 2, state: 'playing', startSentAt: sent, startFloor: 100 }),
      row(5, { state: 'transferring' }),
    ];
    const { run } = setUp(rows, new ReadOnlyBus(new Map([[2, idle(90)]])), 140);
    const asked: { keys: number[]; prepareEach?: boolean }[] = [];
    const transfer: BusLink['transfer'] = (keys, _clip, _priority, opts) => {
      asked.push({ keys, ...opts });
      return Promise.resolve({ stored: [], alreadyStored: [], failed: [] });
    };
    const reads = new ReadOnlyBus(new Map([[2, idle(90)]]));
    Object.assign(run.ctx, { link: () => ({ id: 'bus', transfer, status: (k: number) => reads.status(k) }) });
    await transferLink(run, 1).transfer([2], CHIME, 'command');
    await transferLink(run, 2).transfer([3], CHIME, 'command');
    expect(asked.map((o) => o.prepareEach)).toEqual([true, false]);
    expect(reads.reads).toEqual([2]);
    // the prepare is not a start: terminal 2's start record keeps only when it was sent (read first, not recognised by sequence)
    expect(run.ledger.ofTerminal(2)).toMatchObject({ startSentAt: sent, startFloor: null, startSequence: null });
    expect(run.ledger.ofTerminal(1)).toMatchObject({ startFloor: 100 });
    // verified playing: no longer in doubt
    run.ledger.move([1], 'playing', null);
    run.ledger.move([2], 'ready', null);
    run.ledger.move([2], 'playing', null);
    await transferLink(run, 1).transfer([5], CHIME, 'command');
    expect(asked[2]).toMatchObject({ keys: [5], prepareEach: false });
  });

  it('a transfer leaves out a terminal a bus-wide start reached that took it: it plays, and no prepare moves its sequence', async () => {
    const rows = [
      row(1, { state: 'transferring', startSentAt: sent, startFloor: 100, startSequence: 101 }),
      row(2, { state: 'transferring', startSentAt: sent, startFloor: 100, startSequence: 101 }),
    ];
    // terminal 1 had the clip by the time the start reached it and played it; terminal 2 refused it (no clip)
    const reads = new ReadOnlyBus(
      new Map([
        [1, idle(101)],
        [2, idle(90)],
      ]),
    );
    const { run } = setUp(rows, reads, 140);
    const asked: number[][] = [];
    const transfer: BusLink['transfer'] = (keys) => {
      asked.push(keys);
      return Promise.resolve({ stored: keys, alreadyStored: [], failed: [] });
    };
    Object.assign(run.ctx, { link: () => ({ id: 'bus', transfer, status: (k: number) => reads.status(k) }) });
    run.durationMs.set(1, CHIME.durationMs);
    const r = await transferLink(run, 1).transfer([1, 2], CHIME, 'command');
    expect(asked).toEqual([[2]]);
    // stored and started by another round meanwhile: not prepared again
    run.ledger.move([2], 'ready', null);
    await transferLink(run, 1).transfer([2], CHIME, 'command');
    expect(asked).toEqual([[2]]);
    expect(r.stored).toEqual([2]);
    expect(run.ledger.ofTerminal(1)).toMatchObject({ state: 'playing', startSequence: 101 });
    expect(run.endsAt.get(1)).toBe(sent.getTime() + 1500 + CHIME.durationMs);
  });

  it("a transfer beside the run's start waits until that start phase is over; the first round's does not", async () => {
    const rows = [row(1, { state: 'transferring' }), row(2, { state: 'transferring' })];
    const { run } = setUp(rows, new ReadOnlyBus(new Map()), 140);
    const asked: number[][] = [];
    const transfer: BusLink['transfer'] = (keys) => {
      asked.push(keys);
      return Promise.resolve({ stored: [], alreadyStored: [], failed: [] });
    };
    Object.assign(run.ctx, { link: () => ({ id: 'bus', transfer }) });
    run.awaitStartPhases([1]);
    const firstRound = transferLink(run, 1, true);
    await firstRound.transfer([1], CHIME, 'command');
    expect(asked).toEqual([[1]]);
    // the first round's retry, and a late store, wait for the start
    const retry = firstRound.transfer([1], CHIME, 'command');
    const late = transferLink(run, 1).transfer([2], CHIME, 'command');
    await Promise.resolve();
    expect(asked).toEqual([[1]]);
    run.startPhaseOver(1);
    await Promise.all([retry, late]);
    expect(asked).toEqual([[1], [1], [2]]);
  });
});
