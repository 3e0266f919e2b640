import fc from 'fast-check';
import { BusError, type PriorityClass } from '../terminal-bus';
import type { TransactionRunner } from '../adapter/transactions';
import { advance, setup } from './scheduler-spec-fixture';

describe("BusScheduler: one transaction at a time, by class; the queue and the bus's figures", () => {
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
