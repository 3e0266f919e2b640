import { Semaphore } from './semaphore';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('Semaphore', () => {
  it('runs at most N at once and serves waiters in order', async () => {
    const sem = new Semaphore(2);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const all = gates.map((g, i) =>
      sem.use(async () => {
        started.push(i);
        await g.promise;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(sem.waiting).toBe(2);
    gates[1].resolve();
    await all[1];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    expect(sem.running).toBe(2);
    gates[0].resolve();
    gates[2].resolve();
    gates[3].resolve();
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3]);
    expect(sem.running).toBe(0);
  });

  it('releases the permit when the work fails', async () => {
    const sem = new Semaphore(1);
    await expect(sem.use(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await sem.use(() => Promise.resolve(7))).toBe(7);
  });

  it('refuses a non-positive size', () => {
    expect(() => new Semaphore(0)).toThrow(RangeError);
  });
});
