import type { TerminalStatus } from '../field/field-port';
import { startPhase } from './bus-plan';
import { base, FakeBus, FakeClock } from './bus-plan-spec-fixture';

describe('the per-bus plan: starting a bus and reading who plays', () => {
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
});
