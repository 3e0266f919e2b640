import { ManualClock, systemClock } from './clock';

describe('ManualClock', () => {
  it('fires timers in time order, each at its due time, including timers set while advancing', () => {
    const c = new ManualClock(0);
    const seen: string[] = [];
    c.setTimeout(() => seen.push(`b@${c.now()}`), 20);
    c.setTimeout(() => {
      seen.push(`a@${c.now()}`);
      c.setTimeout(() => seen.push(`c@${c.now()}`), 5);
    }, 10);
    expect(c.nextDueAt()).toBe(10);
    c.advance(30);
    expect(seen).toEqual(['a@10', 'c@15', 'b@20']);
    expect(c.now()).toBe(30);
    expect(c.pending()).toBe(0);
    expect(c.nextDueAt()).toBeNull();
  });

  it('cancels a timer', () => {
    const c = new ManualClock(0);
    let fired = false;
    c.setTimeout(() => (fired = true), 5).cancel();
    c.advance(10);
    expect(fired).toBe(false);
  });
});

describe('systemClock', () => {
  it('reads the wall clock and cancels a timer before it fires', () => {
    expect(Math.abs(systemClock.now() - Date.now())).toBeLessThan(1000);
    let fired = false;
    systemClock.setTimeout(() => (fired = true), 1).cancel();
    expect(fired).toBe(false);
  });
});
