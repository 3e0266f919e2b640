import { BusError } from '../terminal-bus';
import { advance, kindOf, setup } from './scheduler-spec-fixture';

describe('BusScheduler: requests it does not send (the bus no longer driven, a deadline passed, a signal aborted) and a timeout', () => {
  it('sends nothing once the controller no longer drives the bus: the next transaction and those queued fail unsent', async () => {
    let held = true;
    const { clock, bus, log, work } = setup({ mayTransmit: () => held });
    await bus.start();
    const first = kindOf(bus.run({ unit: 1, operation: 'poll', priority: 'poll' }, work('p1', 50)));
    const queued = [2, 3].map((u) =>
      bus.run({ unit: u, operation: 'FC03 status', priority: 'poll' }, work(`p${u}`, 50)),
    );
    await advance(clock, 20);
    held = false; // e.g. a process resumed after a pause longer than its lease is trusted
    await advance(clock, 200);
    expect(await first).toBe('ok');
    const failed = await Promise.allSettled(queued);
    expect(failed.map((r) => (r.status === 'rejected' ? (r.reason as BusError).kind : 'ok'))).toEqual([
      'disconnected',
      'disconnected',
    ]);
    expect((failed[0] as PromiseRejectedResult).reason).toBeInstanceOf(BusError);
    expect(String((failed[0] as PromiseRejectedResult).reason)).toMatch(/this controller no longer drives the bus/);
    expect(log).toEqual(['p1@0']);
    const later = kindOf(bus.run({ unit: 4, operation: 'poll', priority: 'poll' }, work('p4', 10)));
    await advance(clock, 100);
    expect(await later).toBe('disconnected');
    expect(log).toEqual(['p1@0']);
  });

  it('fails a queued request at its deadline without running it; a running one is bounded by its timeout', async () => {
    const { clock, bus, log, work } = setup();
    await bus.start();
    const hung = bus.run(
      { unit: 1, operation: 'FC03 status', priority: 'poll' },
      (_c, signal) =>
        new Promise<string>((_r, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
    );
    const late = kindOf(
      bus.run({ unit: 2, operation: 'FC03 status', priority: 'poll', deadline: 50 }, work('late', 10)),
    );
    const hungKind = kindOf(hung);
    await advance(clock, 50);
    expect(await late).toBe('deadline');
    await advance(clock, 250);
    expect(await hungKind).toBe('timeout');
    await expect(hung).rejects.toThrow('bus village-7 unit 1 FC03 status: no answer within 300 ms');
    expect(log).toEqual([]);
    const after = bus.run({ unit: 3, operation: 'poll', priority: 'poll' }, work('after', 10));
    await advance(clock, 10);
    expect(await after).toBe('after');
    expect(bus.metrics().errors).toEqual({ deadline: 1, timeout: 1 });
  });

  it('fails queued requests whose signal is aborted (kind cancelled) and lets the one in flight finish', async () => {
    const { clock, bus, log, work } = setup();
    await bus.start();
    const abort = new AbortController();
    const first = bus.run(
      { unit: 1, operation: 'FC16 clip chunk 0', priority: 'poll', signal: abort.signal },
      work('chunk0', 100),
    );
    const second = kindOf(
      bus.run({ unit: 0, operation: 'FC16 clip chunk 1', priority: 'poll', signal: abort.signal }, work('chunk1', 100)),
    );
    const poll = bus.run({ unit: 2, operation: 'FC03 status', priority: 'poll' }, work('poll', 10));
    await advance(clock, 50);
    abort.abort();
    expect(await second).toBe('cancelled');
    expect(
      await kindOf(
        bus.run(
          { unit: 1, operation: 'FC16 clip chunk 2', priority: 'poll', signal: abort.signal },
          work('chunk2', 100),
        ),
      ),
    ).toBe('cancelled');
    await advance(clock, 60);
    expect(await first).toBe('chunk0');
    expect(await poll).toBe('poll');
    expect(log).toEqual(['chunk0@0', 'poll@100']);
    expect(bus.metrics().errors).toEqual({ cancelled: 2 });
  });
});
