import { Clock, type TimerHandle } from '../../common/clock';
import type { ClipToTransfer, TerminalStatus } from '../../field/field-port';
import { BroadcastEntity } from '../broadcast.entities';
import type { BusLink, PlayCommand, StopCommand } from '../bus-plan';
import { DeliveryLedger, type LedgerRow } from '../delivery-ledger';
import { dispatchPolicy } from '../dispatch-policy';
import { BusStart } from './bus-start';
import { transferLink } from './in-doubt';
import type { RunContext } from './run-context';
import { RunState } from './run-state';

const ALERT = '43415230000000101010101202612079002';
const T0 = Date.parse('2026-12-08T03:00:00.000Z');
const CLIP = { clipId: 9, codec: 'opus-16k', digest: 'd', data: new Uint8Array(0), durationMs: 20_000 };

/** Time moves only when a sleep asks it to. */
class FakeClock extends Clock {
  t = T0;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.t += Math.max(0, ms);
    queueMicrotask(fn);
    return { cancel: () => undefined };
  }
}

const IDLE: TerminalStatus = {
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

/**
 * Two terminals that both hold the clip, each with what it took in order. The first bus-wide command is lost on the
 * line (signed and sent, heard by none), and the first read of terminal 1 waits until the test lets it through.
 */
class Bus implements BusLink {
  readonly id = 'bus 1';
  readonly took = new Map<number, string[]>([
    [1, []],
    [2, []],
  ]);
  readonly prepared: number[][] = [];
  private readonly last = new Map<number, number>();
  private readonly playing = new Map<number, string>();
  private sequence = 200;
  private lostOne = false;
  /** The bus-wide play's signed block: a copy sent again soon after is the same block (PROTOCOL.md §5). */
  private block: number | null = null;
  private held: (() => void) | null = null;
  readonly firstRead1 = new Promise<void>((r) => (this.held = r));
  private gate: Promise<void> | null = null;

  /** Holds terminal 1's first read until `release`. */
  hold(): void {
    this.gate = new Promise<void>((r) => (this.release = r));
  }
  release: () => void = () => undefined;

  private hear(k: number, c: PlayCommand | StopCommand, seq: number): void {
    if (c.code !== 'play') return;
    this.last.set(k, seq);
    this.playing.set(k, c.broadcastId ?? '');
    this.took.get(k)?.push(`play ${seq}`);
  }
  commandAll(c: PlayCommand | StopCommand): Promise<number> {
    const seq = (this.block ??= ++this.sequence);
    if (!this.lostOne) this.lostOne = true;
    else for (const k of this.took.keys()) this.hear(k, c, seq);
    return Promise.resolve(seq);
  }
  command(k: number, c: PlayCommand | StopCommand): Promise<number> {
    const seq = ++this.sequence;
    this.hear(k, c, seq);
    return Promise.resolve(seq);
  }
  async status(k: number): Promise<TerminalStatus> {
    if (k === 1 && this.gate) {
      const g = this.gate;
      this.gate = null;
      this.held?.();
      await g;
    }
    const b = this.playing.get(k);
    const last = { lastCommandSequence: this.last.get(k) ?? 0 };
    return b
      ? { ...IDLE, ...last, state: 5, priority: 2, broadcastId: b, clipId: CLIP.clipId, broadcastClass: 4 }
      : { ...IDLE, ...last };
  }
  transfer(keys: number[], _clip: ClipToTransfer): ReturnType<BusLink['transfer']> {
    this.prepared.push(keys);
    for (const k of keys) {
      const seq = ++this.sequence;
      this.last.set(k, seq);
      this.took.get(k)?.push(`prepare ${seq}`);
    }
    return Promise.resolve({ stored: [], alreadyStored: keys, failed: [] });
  }
}

const row = (terminalId: number, state: LedgerRow['state']): LedgerRow => ({
  id: terminalId,
  terminalId,
  areaCode: '341523100201',
  gatewayId: 1,
  unit: terminalId,
  state,
  reason: null,
  preemptedBroadcastId: null,
});

function setUp(bus: Bus) {
  const clock = new FakeClock();
  const broadcast = Object.assign(new BroadcastEntity(), {
    broadcastId: ALERT,
    source: null,
    clipId: 'flood-warning',
    priority: 2,
    broadcastClass: 4,
    repeat: 1,
    volume: 90,
    emergency: true,
    startAt: new Date(T0),
    endAt: new Date(T0 + 3_600_000),
  });
  const ctx = {
    clock,
    policy: dispatchPolicy({ startLeadMs: 1500, equalPriority: 'newest-wins' }, 5000),
    link: () => bus,
    locate: () => ({ gatewayId: 1 }),
    flush: () => Promise.resolve(true),
    halted: () => false,
    playingNow: () => null,
    offline: () => false,
    preempted: () => Promise.resolve(),
    sequenceFloor: () => bus['sequence'],
    busSequenceFloor: () => 100,
  } as unknown as RunContext;
  // terminal 1 was stored by the first round; terminal 2's first round was lost on the line (it holds the clip all
  // the same), so its retry runs beside the start
  const run = new RunState(broadcast, new DeliveryLedger([row(1, 'ready'), row(2, 'transferring')]), ctx);
  run.startAtMs = T0 + 2_000;
  return run;
}

describe('a transfer beside a bus-wide start lost on the line', () => {
  it('waits for the start phase: the terminal the copy reached plays once and is not prepared', async () => {
    const bus = new Bus();
    const run = setUp(bus);
    run.awaitStartPhases([1]);
    bus.hold();
    const busStart = new BusStart(run, () => undefined);
    // as the run's startAll does: the phase is over once the bus's start has returned
    const start = busStart.start(1, run.ledger.rows(), CLIP, 2, false).finally(() => run.startPhaseOver(1));
    const retry = transferLink(run, 1).transfer([2], CLIP, 'command');
    // the start phase reads terminal 1 after the lost start; the retry could go on meanwhile
    await bus.firstRead1;
    await new Promise((r) => setImmediate(r));
    bus.release();
    await Promise.all([start, retry]);
    // the copy of the bus-wide start reached both; terminal 2 took it while its transfer was still to be retried
    expect(bus.took.get(2)).toEqual(['play 201']);
    expect(bus.prepared).toEqual([]);
    expect(run.ledger.ofTerminal(2)?.state).toBe('playing');
    expect(run.ledger.ofTerminal(1)?.state).toBe('playing');
  });
});
