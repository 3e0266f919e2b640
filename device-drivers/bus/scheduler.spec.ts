import fc from 'fast-check';
import { BusError, type PriorityClass } from '../terminal-bus';
import { ManualClock } from '../transport/clock';
import type { TransactionRunner } from '../adapter/transactions';
import type { BusConnection } from './connection';
import { BusScheduler, type BusSchedulerOptions } from './scheduler';

class FakeLink implements BusConnection {
  private closers: ((reason: string) => void)[] = [];
  closed = false;
  onClose(fn: (reason: string) => void): void {
    this.closers.push(fn);
  }
  close(): void {
    this.lose('closed by us');
  }
  lose(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closers.forEach((fn) => fn(reason));
  }
}

/** Lets promise callbacks run (no time passes). */
async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** Moves the manual clock to each due timer in turn, letting promise callbacks run between them. */
async function advance(clock: ManualClock, ms: number): Promise<void> {
  const end = clock.now() + ms;
  await flush();
  for (;;) {
    const due = clock.nextDueAt();
    if (due === null || due > end) break;
    clock.advance(due - clock.now());
    await flush();
  }
  clock.advance(end - clock.now());
  await flush();
}

function setup(opts: Partial<BusSchedulerOptions<FakeLink>> = {}) {
  const clock = new ManualClock(0);
  const links: FakeLink[] = [];
  const bus = new BusScheduler<FakeLink>({
    busId: 'village-7',
    clock,
    connect: () => {
      const l = new FakeLink();
      links.push(l);
      return Promise.resolve(l);
    },
    timeoutMs: 300,
    ...opts,
  });
  const log: string[] = [];
  /** A transaction that takes `ms` on the wire and records when it starts. */
  const work = (name: string, ms: number) => () =>
    new Promise<string>((resolve) => {
      log.push(`${name}@${clock.now()}`);
      clock.setTimeout(() => resolve(name), ms);
    });
  return { clock, bus, links, log, work };
}

const kindOf = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => 'ok',
    (e: unknown) => (e instanceof BusError ? e.kind : `other: ${String(e)}`),
  );

describe('BusScheduler', () => {
  it('runs by class (emergency > command > transfer > poll), first-in first-out within a class', async () => {
    const { clock, bus, log, work } = setup();
    await bus.start();
    const all = [
      bus.run({ unit: 1, operation: 'poll', priority: 'poll' }, work('p0', 10)),
      bus.run({ unit: 2, operation: 'poll', priority: 'poll' }, work('p1', 10)),
      bus.run({ unit: 3, operation: 'chunk', priority: 'transfer' }, work('t1', 10)),
      bus.run({ unit: 4, operation: 'stop', priority: 'command' }, work('c1', 10)),
      bus.run({ unit: 5, operation: 'poll', priority: 'poll' }, work('p2', 10)),
      bus.run({ unit: 0, operation: 'play', priority: 'emergency' }, work('e1', 10)),
      bus.run({ unit: 6, operation: 'chunk', priority: 'transfer' }, work('t2', 10)),
    ];
    expect(bus.queueDepth()).toEqual({ emergency: 1, command: 1, transfer: 2, poll: 2 });
    await advance(clock, 100);
    expect(await Promise.all(all)).toHaveLength(7);
    expect(log).toEqual(['p0@0', 'e1@10', 'c1@20', 't1@30', 't2@40', 'p1@50', 'p2@60']);
  });

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

  it('starts an emergency as soon as the transaction in flight ends, ahead of a queued sweep', async () => {
    const { clock, bus, log, work } = setup();
    await bus.start();
    const sweep = [1, 2, 3, 4, 5].map((u) =>
      bus.run({ unit: u, operation: 'poll', priority: 'poll' }, work(`p${u}`, 80)),
    );
    await advance(clock, 30);
    const emergency = bus.run({ unit: 0, operation: 'play', priority: 'emergency' }, work('e', 20));
    await advance(clock, 1000);
    await Promise.all([...sweep, emergency]);
    expect(log.slice(0, 3)).toEqual(['p1@0', 'e@80', 'p2@100']);
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

  it('backs a failing unit off exponentially: polls fail fast, commands (and polls that ask to) still try, a success resets it', async () => {
    const { clock, bus } = setup({ unitBackoff: { baseMs: 1000, maxMs: 8000, threshold: 1 } });
    await bus.start();
    const dead = () => Promise.reject(new BusError('timeout', 'village-7', 9, 'poll', 'no reply'));
    const poll = () => kindOf(bus.run({ unit: 9, operation: 'poll', priority: 'poll' }, dead));
    const p1 = poll();
    await flush();
    expect(await p1).toBe('timeout');
    expect(bus.metrics().backedOff).toEqual([{ unit: 9, failures: 1, nextTryAt: 1000 }]);
    expect(await poll()).toBe('backoff');
    const cmd = kindOf(bus.run({ unit: 9, operation: 'stop', priority: 'command' }, dead));
    await flush();
    expect(await cmd).toBe('timeout');
    expect(bus.metrics().backedOff).toEqual([{ unit: 9, failures: 2, nextTryAt: 2000 }]);
    await advance(clock, 2000);
    const p3 = poll();
    await flush();
    expect(await p3).toBe('timeout');
    expect(bus.metrics().backedOff).toEqual([{ unit: 9, failures: 3, nextTryAt: 2000 + 4000 }]);
    // background work at the poll class that asks to try anyway does (and a success resets the unit)
    const background = bus.run({ unit: 9, operation: 'FC03 clip receive', priority: 'poll', tryBackedOff: true }, () =>
      Promise.resolve('stored'),
    );
    await flush();
    expect(await background).toBe('stored');
    expect(bus.metrics().backedOff).toEqual([]);
    await advance(clock, 4000);
    const alive = bus.run({ unit: 9, operation: 'poll', priority: 'poll' }, () => Promise.resolve('ok'));
    await flush();
    expect(await alive).toBe('ok');
    expect(bus.metrics().backedOff).toEqual([]);
    expect(bus.isUnitBackedOff(9)).toBe(false);
    expect(bus.metrics().errors).toEqual({ timeout: 3, backoff: 1 });
  });

  it('gives a unit that answered its previous request one failure of grace, so its poll can be retried at once', async () => {
    const { bus } = setup({ unitBackoff: { baseMs: 1000, maxMs: 8000, threshold: 1 } });
    await bus.start();
    const ok = () => Promise.resolve('ok');
    const lost = () => Promise.reject(new BusError('timeout', 'village-7', 4, 'poll', 'no reply'));
    const poll = (work: () => Promise<string>) =>
      kindOf(bus.run({ unit: 4, operation: 'poll', priority: 'poll' }, work));
    const answered = poll(ok);
    await flush();
    expect(await answered).toBe('ok');
    const first = poll(lost);
    await flush();
    expect(await first).toBe('timeout');
    expect(bus.isUnitBackedOff(4)).toBe(false); // one lost frame: the retry goes on the wire
    const second = poll(lost);
    await flush();
    expect(await second).toBe('timeout');
    expect(bus.metrics().backedOff).toEqual([{ unit: 4, failures: 2, nextTryAt: 1000 }]);
    expect(await poll(ok)).toBe('backoff');
    // a clip transfer is asked for on purpose: it goes on the wire even while the unit's polls are backed off
    const transfer = kindOf(bus.run({ unit: 4, operation: 'clip prepare', priority: 'transfer' }, ok));
    await flush();
    expect(await transfer).toBe('ok');
  });

  it('holds units that stay silent to maxShare of the bus: their delays stretch with their number and with what a try costs', async () => {
    const { clock, bus } = setup({ unitBackoff: { baseMs: 1000, maxMs: 60_000, threshold: 1, maxShare: 0.02 } });
    await bus.start();
    // a dead unit behind a gateway: 150 ms of bus time until the gateway gives up
    const silent = (unit: number) => () =>
      new Promise<string>((_resolve, reject) =>
        clock.setTimeout(() => reject(new BusError('timeout', 'village-7', unit, 'poll', 'exception 0x0b')), 150),
      );
    const tryAll = async (units: number[]): Promise<string[]> => {
      const kinds = units.map((u) => kindOf(bus.run({ unit: u, operation: 'poll', priority: 'poll' }, silent(u))));
      await advance(clock, 150 * units.length);
      return Promise.all(kinds);
    };
    expect(await tryAll([7, 8, 9])).toEqual(['timeout', 'timeout', 'timeout']);
    // first failure of a unit never heard from: the exponential rule alone (it may have been one lost frame)
    expect(bus.metrics().backedOff).toEqual([
      { unit: 7, failures: 1, nextTryAt: 150 + 1000 },
      { unit: 8, failures: 1, nextTryAt: 300 + 1000 },
      { unit: 9, failures: 1, nextTryAt: 450 + 1000 },
    ]);
    await advance(clock, 1000);
    expect(await tryAll([7, 8, 9])).toEqual(['timeout', 'timeout', 'timeout']);
    // silent twice: three units × 150 ms per try within 2 % of the bus → each tried once per 22.5 s, not after 2 s
    const t = 1450;
    expect(bus.metrics().backedOff).toEqual([
      { unit: 7, failures: 2, nextTryAt: t + 150 + 22_500 },
      { unit: 8, failures: 2, nextTryAt: t + 300 + 22_500 },
      { unit: 9, failures: 2, nextTryAt: t + 450 + 22_500 },
    ]);
    expect(await kindOf(bus.run({ unit: 7, operation: 'poll', priority: 'poll' }, silent(7)))).toBe('backoff');
    // never past maxMs, so a unit that comes back is seen within it
    const many = Array.from({ length: 20 }, (_, i) => 20 + i);
    await tryAll(many);
    await advance(clock, 1000);
    await tryAll(many);
    expect(bus.metrics().backedOff.find((u) => u.unit === 39)?.nextTryAt).toBe(clock.now() + 60_000);
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

  it("stands in for the adapter driver's transaction runner", async () => {
    const { clock, bus } = setup();
    const runner: TransactionRunner = bus;
    await bus.start();
    const v = runner.run({ unit: 1, operation: '0x08 status query', priority: 'command' }, () => Promise.resolve(42));
    await advance(clock, 0);
    expect(await v).toBe(42);
    expect(runner.queueDepth()).toEqual({ emergency: 0, command: 0, transfer: 0, poll: 0 });
  });

  it('reports utilisation, transactions and queue depth', async () => {
    const { clock, bus, work } = setup();
    await bus.start();
    const a = bus.run({ unit: 1, operation: 'poll', priority: 'poll' }, work('a', 30));
    void bus.run({ unit: 2, operation: 'poll', priority: 'poll' }, work('b', 30));
    await advance(clock, 30);
    await a;
    await advance(clock, 70);
    const m = bus.metrics();
    expect(m).toMatchObject({
      busId: 'village-7',
      connection: 'connected',
      transactions: 2,
      queueDepth: { emergency: 0, command: 0, transfer: 0, poll: 0 },
    });
    expect(m.utilisation).toBeCloseTo(0.6, 9);
  });

  it('never has two transactions in flight, and never starts one while a higher class waits (property)', async () => {
    const classes: PriorityClass[] = ['emergency', 'command', 'transfer', 'poll'];
    const rank = (c: PriorityClass) => classes.indexOf(c);
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            at: fc.integer({ min: 0, max: 200 }),
            cls: fc.constantFrom(...classes),
            ms: fc.integer({ min: 1, max: 40 }),
            fails: fc.boolean(),
            unit: fc.integer({ min: 1, max: 4 }),
          }),
          { minLength: 1, maxLength: 25 },
        ),
        async (reqs) => {
          const { clock, bus } = setup({ unitBackoff: { baseMs: 50, maxMs: 200, threshold: 1 } });
          await bus.start();
          let running = 0;
          let maxRunning = 0;
          let violations = 0;
          const done: Promise<unknown>[] = [];
          for (const r of [...reqs].sort((a, b) => a.at - b.at)) {
            await advance(clock, r.at - clock.now());
            const p = bus.run({ unit: r.unit, operation: 'x', priority: r.cls }, () => {
              const depth = bus.queueDepth();
              if (classes.some((c) => rank(c) < rank(r.cls) && depth[c] > 0)) violations++;
              running++;
              maxRunning = Math.max(maxRunning, running);
              return new Promise<void>((resolve, reject) =>
                clock.setTimeout(() => {
                  running--;
                  if (r.fails) reject(new BusError('crc', 'b', r.unit, 'x', 'bad crc'));
                  else resolve();
                }, r.ms),
              );
            });
            done.push(p.catch(() => undefined));
          }
          await advance(clock, 25 * 40 + 10);
          await Promise.all(done);
          expect(maxRunning).toBe(1);
          expect(violations).toBe(0);
          expect(bus.queueDepth()).toEqual({ emergency: 0, command: 0, transfer: 0, poll: 0 });
        },
      ),
      { numRuns: 60 },
    );
  });
});
