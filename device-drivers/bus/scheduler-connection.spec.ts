import { ManualClock } from '../transport/clock';
import { BusScheduler } from './scheduler';
import { advance, FakeLink, flush, kindOf, setup } from './scheduler-spec-fixture';

describe('BusScheduler: the connection, dropped under a stuck transaction and opened again with backoff', () => {
  it('drops the connection when a timed-out transaction ignores its abort signal, and frees the bus', async () => {
    const { clock, bus, links } = setup({ abandonAfterMs: 100 });
    await bus.start();
    const stuck = kindOf(
      bus.run({ unit: 1, operation: 'poll', priority: 'poll' }, () => new Promise<never>(() => undefined)),
    );
    await advance(clock, 300);
    expect(await stuck).toBe('timeout');
    await advance(clock, 100);
    expect(links[0].closed).toBe(true);
    await advance(clock, 500);
    expect(bus.metrics().connection).toBe('connected');
    expect(links).toHaveLength(2);
  });

  it('abandoning a stuck transaction never drops a connection opened after the one it ran on', async () => {
    const { clock, bus, links } = setup({ abandonAfterMs: 2000 });
    await bus.start();
    const stuck = kindOf(
      bus.run({ unit: 1, operation: 'poll', priority: 'poll' }, () => new Promise<never>(() => undefined)),
    );
    links[0].lose('gateway went away');
    await advance(clock, 600); // reconnected (first retry after 500 ms) while the stuck one still holds the bus
    expect(links).toHaveLength(2);
    expect(await stuck).toBe('timeout');
    await advance(clock, 2000);
    expect(links[1].closed).toBe(false);
    const next = bus.run({ unit: 2, operation: 'poll', priority: 'poll' }, () => Promise.resolve('ran'));
    await flush();
    expect(await next).toBe('ran');
  });

  it('reconnects with exponential backoff, surfaces the state, and resumes queued work after a drop', async () => {
    const clock = new ManualClock(0);
    let failuresLeft = 2;
    const links: FakeLink[] = [];
    const bus = new BusScheduler<FakeLink>({
      busId: 'gw-3',
      clock,
      reconnectBackoff: { baseMs: 500, maxMs: 4000, threshold: 1 },
      connect: () => {
        if (failuresLeft-- > 0) return Promise.reject(new Error('ECONNREFUSED'));
        const l = new FakeLink();
        links.push(l);
        return Promise.resolve(l);
      },
    });
    const states: string[] = [];
    const sub = bus.connectionChanges.subscribe((c) => states.push(`${c.state}@${c.at}`));
    await bus.start();
    await advance(clock, 500 + 1000);
    expect(states).toEqual([
      'disconnected@0',
      'connecting@0',
      'disconnected@0',
      'connecting@500',
      'disconnected@500',
      'connecting@1500',
      'connected@1500',
    ]);
    links[0].lose('gateway reset');
    expect(bus.metrics().connection).toBe('disconnected');
    const queued = bus.run({ unit: 1, operation: 'poll', priority: 'poll' }, () => Promise.resolve('polled'));
    await advance(clock, 499);
    expect(bus.queueDepth().poll).toBe(1);
    await advance(clock, 1);
    expect(await queued).toBe('polled');
    expect(bus.metrics().connection).toBe('connected');
    bus.stop();
    expect(links[1].closed).toBe(true);
    expect(await kindOf(bus.run({ unit: 1, operation: 'poll', priority: 'poll' }, () => Promise.resolve(1)))).toBe(
      'disconnected',
    );
    expect(states.at(-1)).toBe('stopped@2000');
    sub.unsubscribe();
  });
});
