import { Mutex } from './mutex';

describe('Mutex', () => {
  it('grants the lock in order, one holder at a time', async () => {
    const m = new Mutex();
    const log: string[] = [];
    const r1 = await m.acquire();
    const p2 = m.acquire().then((r) => {
      log.push('2');
      return r;
    });
    const p3 = m.acquire().then((r) => {
      log.push('3');
      r();
    });
    await Promise.resolve();
    expect(log).toEqual([]);
    r1();
    const r2 = await p2;
    expect(log).toEqual(['2']);
    r2();
    r2(); // a second release is harmless
    await p3;
    expect(log).toEqual(['2', '3']);
  });
});
