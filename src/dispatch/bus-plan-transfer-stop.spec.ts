import type { ClipToTransfer } from '../field/field-port';
import { firstTransfer, stopPhase, transferPhase, type StopCommand } from './bus-plan';
import { FakeBus, FakeClock, ID, ours } from './bus-plan-spec-fixture';

describe('the per-bus plan: clip transfers and the stop', () => {
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
