import { BusError } from '../terminal-bus';
import { advance, flush, kindOf, setup } from './scheduler-spec-fixture';

describe('BusScheduler: a unit that does not answer is backed off', () => {
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
});
