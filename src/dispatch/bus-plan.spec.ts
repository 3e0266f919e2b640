import type { Clock } from '../common/clock';
import { FieldError, type ClipToTransfer, type TerminalStatus } from '../field/field-port';
import {
  firstTransfer,
  startPhase,
  stopPhase,
  transferPhase,
  type BusLink,
  type OurBroadcast,
  type PlayCommand,
  type StopCommand,
} from './bus-plan';
import { sameBlockWindow } from './dispatch-policy';

const SAME_BLOCK_MS = sameBlockWindow(5_000);
const timedOut = (message: string): FieldError =>
  new FieldError({ kind: 'timeout', exceptionCode: null, message }, 'fake', null, 'request');

const ID = '43415230000000101010101202612010001';
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

/** A bus of terminals that obey by priority; `silent` never answer, `deaf` ignore the first play they hear. */
class FakeBus implements BusLink {
  readonly id = 'fake';
  readonly sessions = new Map<number, { broadcastId: string | null; priority: number; clipId: number }>();
  readonly sent: string[] = [];
  /** Keys in the order their status was read. */
  readonly reads: number[] = [];
  /** The last signed command each terminal took, and the next sequence the driver signs. */
  readonly lastSequence = new Map<number, number>();
  private sequence = 100;
  /** Answers lost to noise, per key (the read fails as a gateway time-out would). */
  readonly lose = new Map<number, number>();
  constructor(
    readonly keys: number[],
    readonly silent = new Set<number>(),
    readonly deaf = new Set<number>(),
  ) {}
  private hear(k: number, c: PlayCommand | StopCommand, sequence: number): void {
    if (this.silent.has(k)) return;
    if (c.code === 'stop') {
      if (this.sessions.get(k)?.broadcastId === c.broadcastId) this.sessions.delete(k);
      return;
    }
    if (this.deaf.delete(k)) return;
    const now = this.sessions.get(k);
    if (now && c.priority > now.priority) return;
    this.lastSequence.set(k, sequence);
    this.sessions.set(k, { broadcastId: c.broadcastId, priority: c.priority, clipId: c.clipId ?? 0 });
  }
  /** The keys of each transfer asked for, with its priority class. */
  readonly transfers: string[] = [];
  transfer(keys: number[], _clip: ClipToTransfer, priority: string): ReturnType<BusLink['transfer']> {
    this.transfers.push(`${keys.join(',')} ${priority}`);
    return Promise.resolve({
      stored: keys.filter((k) => !this.silent.has(k)),
      alreadyStored: [],
      failed: keys
        .filter((k) => this.silent.has(k))
        .map((key) => ({
          key,
          failure: { kind: 'timeout' as const, exceptionCode: null, message: 'FC03 clip receive: Timed out' },
        })),
    });
  }
  commandAll(c: PlayCommand | StopCommand): Promise<number | null> {
    this.sent.push(`all ${c.code}`);
    const sequence = ++this.sequence;
    for (const k of this.keys) this.hear(k, c, sequence);
    return Promise.resolve(sequence);
  }
  command(k: number, c: PlayCommand | StopCommand): Promise<number | null> {
    this.sent.push(`${k} ${c.code}`);
    if (this.silent.has(k)) return Promise.reject(timedOut('Timed out'));
    const sequence = ++this.sequence;
    this.hear(k, c, sequence);
    return Promise.resolve(sequence);
  }
  status(k: number): Promise<TerminalStatus> {
    this.reads.push(k);
    const lost = this.lose.get(k) ?? 0;
    if (lost > 0) this.lose.set(k, lost - 1);
    if (this.silent.has(k) || lost > 0)
      return Promise.reject(timedOut('GatewayTargetDeviceFailedToRespond: Timed out'));
    const s = this.sessions.get(k);
    const last = { lastCommandSequence: this.lastSequence.get(k) ?? 0 };
    return Promise.resolve(
      s
        ? {
            ...idle,
            ...last,
            state: 5,
            priority: s.priority,
            broadcastId: s.broadcastId,
            clipId: s.clipId,
            broadcastClass: 4,
          }
        : { ...idle, ...last },
    );
  }
}

class FakeClock implements Pick<Clock, 'now' | 'sleep'> {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
  sleep(ms: number): Promise<void> {
    this.t += ms;
    return Promise.resolve();
  }
}

const play: PlayCommand = {
  code: 'play',
  source: 'stored',
  clipId: 7,
  priority: 2,
  broadcastClass: 4,
  repeat: 1,
  volume: 60,
  broadcastId: ID,
};
const ours: OurBroadcast = { broadcastId: ID, clipId: 7, priority: 2, broadcastClass: 4, startAt: 1_001_500 };
const base = {
  command: play,
  ours,
  priority: 'emergency' as const,
  readFirst: [],
  deadline: 1_010_000,
  backoffMs: [200, 500, 1000],
  sameBlockWindowMs: SAME_BLOCK_MS,
};

describe('the per-bus plan', () => {
  it('starts a whole bus with one broadcast and verifies every terminal', async () => {
    const bus = new FakeBus([1, 2, 3]);
    const out = await startPhase(bus, { ...base, toStart: [1, 2, 3], wholeBus: true }, new FakeClock());
    expect(bus.sent).toEqual(['all play']);
    expect(out.playing.map((p) => p.key)).toEqual([1, 2, 3]);
    expect(out).toMatchObject({ failed: [], unreachable: [], sent: { bus: 1, unicast: 0 }, reads: 3 });
  });

  it('restarts by unicast a terminal that did not start, gives up on a silent one at the deadline, fails one outranked', async () => {
    const bus = new FakeBus([1, 2, 3, 4], new Set([3]), new Set([2]));
    bus.sessions.set(4, { broadcastId: 'other', priority: 1, clipId: 9 });
    const veto = (k: number, before: TerminalStatus | null): string | null =>
      before && before.priority < 2 ? `outranked at ${before.priority}` : null;
    const out = await startPhase(
      bus,
      { ...base, toStart: [1, 2, 3, 4], wholeBus: true, mayStart: veto },
      new FakeClock(),
    );
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2]);
    expect(out.failed).toEqual([{ key: 4, reason: 'outranked at 1' }]);
    expect(out.unreachable.map((u) => u.key)).toEqual([3]);
    expect(bus.sent.filter((s) => s === '2 play')).toHaveLength(1);
  });

  it('gives a terminal first heard from after the retry deadline one start of its own while the window is open', async () => {
    const bus = new FakeBus([1, 2], new Set(), new Set([2]));
    const clock = new FakeClock();
    const status = bus.status.bind(bus);
    let slow = true;
    bus.status = (k) => {
      // the terminal answers its first read only after the retry deadline (busy, or back from a power cut)
      if (k === 2 && slow) {
        slow = false;
        clock.t = base.deadline + 5_000;
      }
      return status(k);
    };
    const out = await startPhase(
      bus,
      { ...base, toStart: [1, 2], wholeBus: true, windowEnd: base.deadline + 60_000 },
      clock,
    );
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2]);
    expect(bus.sent).toEqual(['all play', '2 play']);

    // without a window beyond the deadline it is failed with what it showed, as before
    const late = new FakeBus([1, 2], new Set(), new Set([2]));
    const lateClock = new FakeClock();
    const lateStatus = late.status.bind(late);
    late.status = (k) => {
      if (k === 2) lateClock.t = base.deadline + 5_000;
      return lateStatus(k);
    };
    const failed = await startPhase(late, { ...base, toStart: [1, 2], wholeBus: true }, lateClock);
    expect(failed.failed).toEqual([{ key: 2, reason: 'does not play it (state 1, priority 15)' }]);
  });

  it('sends a bus-wide start lost to noise again as one broadcast, not one play per terminal', async () => {
    const bus = new FakeBus([1, 2, 3]);
    let lost = true;
    const commandAll = bus.commandAll.bind(bus);
    bus.commandAll = (c) => {
      if (!lost) return commandAll(c);
      lost = false;
      bus.sent.push('all play (lost)');
      return Promise.resolve(null);
    };
    const out = await startPhase(bus, { ...base, toStart: [1, 2, 3], wholeBus: true }, new FakeClock());
    expect(bus.sent).toEqual(['all play (lost)', 'all play']);
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2, 3]);
  });

  it('after a lost bus-wide start and a lost read, reads again only terminals not yet shown playing, each as soon as it can', async () => {
    const bus = new FakeBus([1, 2, 3, 4, 5, 6]);
    let lost = true;
    const commandAll = bus.commandAll.bind(bus);
    bus.commandAll = (c) => {
      if (!lost) return commandAll(c);
      lost = false;
      bus.sent.push('all play (lost)');
      return Promise.resolve(null);
    };
    bus.lose.set(4, 1);
    const clock = new FakeClock();
    const t0 = clock.now();
    const out = await startPhase(bus, { ...base, toStart: [1, 2, 3, 4, 5, 6], wholeBus: true }, clock);
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(bus.sent).toEqual(['all play (lost)', 'all play']);
    // 1 shows the start lost and 2 was read beside it (the lane keeps one request ready behind the one on the wire):
    // both are read again after the copy; 3, 5 and 6, read after it, once; 4's lost answer once more; no pause
    expect(bus.reads).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 4]);
    expect(out.reads).toBe(9);
    expect(clock.now()).toBe(t0);
  });

  it('sends copies of a lost bus-wide start only while they are the block first sent, then plays to each terminal', async () => {
    const bus = new FakeBus([1, 2]);
    const clock = new FakeClock();
    const t0 = clock.now();
    const copies: number[] = [];
    // the line loses every bus-wide start; each read takes a second
    bus.commandAll = () => {
      copies.push(clock.now() - t0);
      bus.sent.push('all play (lost)');
      return Promise.resolve(null);
    };
    const status = bus.status.bind(bus);
    bus.status = async (k) => {
      clock.t += 1000;
      return status(k);
    };
    const out = await startPhase(bus, { ...base, toStart: [1, 2], wholeBus: true, deadline: t0 + 60_000 }, clock);
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2]);
    expect(copies.length).toBeGreaterThan(1);
    expect(Math.max(...copies)).toBeLessThan(SAME_BLOCK_MS);
    expect(bus.sent.filter((x) => !x.startsWith('all'))).toEqual(['1 play', '2 play']);
  });

  it('takes a terminal that shows a command newer than before its unicast start whose answer was lost, and does not start it twice', async () => {
    const bus = new FakeBus([1, 2], new Set(), new Set([2]));
    // 2 takes its own start but the answer is lost; its short tone has ended by the next read
    const command = bus.command.bind(bus);
    bus.command = async (k, c) => {
      await command(k, c);
      if (k === 2) {
        bus.sessions.delete(2);
        throw timedOut('GatewayTargetDeviceFailedToRespond: Timed out');
      }
      return null;
    };
    const out = await startPhase(bus, { ...base, toStart: [1, 2], wholeBus: true }, new FakeClock());
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2]);
    expect(bus.sent).toEqual(['all play', '2 play']);
  });

  it('reads again at once a terminal whose answer was lost, and reads those monitoring holds offline after every other', async () => {
    const bus = new FakeBus([1, 2, 3, 4], new Set([1]));
    bus.lose.set(2, 1);
    const clock = new FakeClock();
    const t0 = clock.now();
    const out = await startPhase(
      bus,
      { ...base, toStart: [1, 2, 3, 4], wholeBus: true, suspect: (k) => k === 1 },
      clock,
    );
    expect(out.playing.map((p) => p.key).sort()).toEqual([2, 3, 4]);
    expect(out.unreachable.map((u) => u.key)).toEqual([1]);
    // 2's lost answer is read again before the offline 1 is tried (three times), and nobody waits a retry pause
    expect(bus.reads).toEqual([2, 3, 4, 2, 1, 1, 1]);
    expect(clock.now()).toBe(t0);
    expect(bus.sent).toEqual(['all play']);
  });

  it('takes a terminal whose last command is our start for one that played it, and does not start it twice', async () => {
    const bus = new FakeBus([1, 2]);
    const status = bus.status.bind(bus);
    // 1 answers after a short tone has ended there: idle again, its last command our start
    bus.status = async (k) => {
      if (k === 1) bus.sessions.delete(1);
      return status(k);
    };
    const out = await startPhase(bus, { ...base, toStart: [1, 2], wholeBus: true }, new FakeClock());
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2]);
    expect(bus.sent).toEqual(['all play']);
  });

  it('reads a terminal whose start may have gone out before, and does not start it again when it plays ours', async () => {
    const bus = new FakeBus([1, 2]);
    bus.sessions.set(1, { broadcastId: null, priority: 2, clipId: 7 });
    const out = await startPhase(bus, { ...base, toStart: [], wholeBus: false, readFirst: [1, 2] }, new FakeClock());
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2]);
    expect(bus.sent).toEqual(['2 play']);
  });

  it('after a restart, takes an idle terminal whose last command is the start recorded before, and records the sequences it sends', async () => {
    const bus = new FakeBus([1, 2]);
    // before the restart: a bus-wide start (sequence 51) reached both; 1's short tone has ended, 2 missed it
    bus.lastSequence.set(1, 51);
    const sent: string[] = [];
    const out = await startPhase(
      bus,
      {
        ...base,
        toStart: [],
        wholeBus: false,
        readFirst: [1, 2],
        sentBefore: () => 51,
        onSent: (keys, sequence, busWide) => sent.push(`${keys.join(',')} ${sequence} ${busWide}`),
      },
      new FakeClock(),
    );
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2]);
    expect(bus.sent).toEqual(['2 play']);
    expect(sent).toEqual(['2 101 false']);
  });

  it('after a crash or a takeover, takes an idle terminal whose last command was signed after the start was recorded, though its sequence was not', async () => {
    const bus = new FakeBus([1, 2, 3]);
    // the previous holder recorded the start as sent with floor 40, sent it (sequence 51) and died before recording
    // 51: 1 took it and its tone has ended; 2 missed it (its last command, 30, is older); 3 took a command of ours
    // signed after the restart (above 60, where this server's numbers begin), not the lost start
    bus.lastSequence.set(1, 51);
    bus.lastSequence.set(2, 30);
    bus.lastSequence.set(3, 61);
    const out = await startPhase(
      bus,
      {
        ...base,
        toStart: [],
        wholeBus: false,
        readFirst: [1, 2, 3],
        sentBefore: () => null,
        signedBefore: () => ({ above: 40, upTo: 60 }),
      },
      new FakeClock(),
    );
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2, 3]);
    expect(bus.sent).toEqual(['2 play', '3 play']);
  });

  it('stores on those that answer in a first round; the silent and those held offline are left to retries, one class lower', async () => {
    const bus = new FakeBus([1, 2, 3], new Set([3]));
    const clip: ClipToTransfer = { clipId: 7, codec: 'opus-16k', digest: '00', data: new Uint8Array(10) };
    const first = await firstTransfer(bus, [1, 2, 3], clip, 'emergency', [200, 500], undefined, (k) => k === 2);
    expect(first.out).toEqual({ ready: [1], failed: [], unreachable: [] });
    const clock = new FakeClock();
    const t0 = clock.now();
    const late = await first.late('command', clock);
    expect(late.ready).toEqual([2]);
    expect(late.unreachable.map((u) => u.key)).toEqual([3]);
    expect(bus.transfers).toEqual(['1,3 emergency', '3,2 command', '3 command']);
    expect(clock.now() - t0).toBe(700);
    // a bus whose every terminal is held offline is tried in the first round all the same
    const all = await firstTransfer(bus, [1, 2], clip, 'emergency', [200], undefined, () => true);
    expect(all.out.ready).toEqual([1, 2]);
    // … unless other terminals of the bus wait for this round (they hold the clip already): then they are left to the retries
    const before = bus.transfers.length;
    const waiting = await firstTransfer(bus, [1, 2], clip, 'emergency', [200], undefined, () => true, true);
    expect(waiting.out.ready).toEqual([]);
    expect(bus.transfers.length).toBe(before);
    expect((await waiting.late('command', clock)).ready).toEqual([1, 2]);
  });

  it('calls a terminal that does not answer the transfer unreachable, and stops ours everywhere', async () => {
    const bus = new FakeBus([1, 2], new Set([2]));
    const clip: ClipToTransfer = { clipId: 7, codec: 'opus-16k', digest: '00', data: new Uint8Array(10) };
    expect(await transferPhase(bus, [1, 2], clip, 'emergency')).toEqual({
      ready: [1],
      failed: [],
      unreachable: [{ key: 2, reason: 'FC03 clip receive: Timed out' }],
    });
    bus.sessions.set(1, { broadcastId: ID, priority: 2, clipId: 7 });
    const stop: StopCommand = { code: 'stop', broadcastId: ID, priority: 2 };
    expect(await stopPhase(bus, [1, 2], stop, ours)).toEqual({ stopped: [1], unreachable: [2] });
    expect(bus.sessions.size).toBe(0);
  });
});
