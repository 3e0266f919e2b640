import { startPhase } from './bus-plan';
import { base, FakeBus, FakeClock, SAME_BLOCK_MS } from './bus-plan-spec-fixture';

describe('the per-bus plan: a bus-wide start lost to noise', () => {
  it('sends a bus-wide start lost to noise again as one broadcast, not one play per terminal', async () => {
    const bus = new FakeBus([1, 2, 3]);
    let lost = true;
    const commandAll = bus.commandAll.bind(bus);
    bus.commandAll = (c) => {
      if (!lost) return commandAll(c);
      lost = false;
      bus.sent.push('all play (lost)');
      return Promise.resolve(null);
    };
    const out = await startPhase(bus, { ...base, toStart: [1, 2, 3], wholeBus: true }, new FakeClock());
    expect(bus.sent).toEqual(['all play (lost)', 'all play']);
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2, 3]);
  });

  it('after a lost bus-wide start and a lost read, reads again only terminals not yet shown playing, each as soon as it can', async () => {
    const bus = new FakeBus([1, 2, 3, 4, 5, 6]);
    let lost = true;
    const commandAll = bus.commandAll.bind(bus);
    bus.commandAll = (c) => {
      if (!lost) return commandAll(c);
      lost = false;
      bus.sent.push('all play (lost)');
      return Promise.resolve(null);
    };
    bus.lose.set(4, 1);
    const clock = new FakeClock();
    const t0 = clock.now();
    const out = await startPhase(bus, { ...base, toStart: [1, 2, 3, 4, 5, 6], wholeBus: true }, clock);
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    expect(bus.sent).toEqual(['all play (lost)', 'all play']);
    // 1 shows the start lost and 2 was read beside it (the lane keeps one request ready behind the one on the wire):
    // both are read again after the copy; 3, 5 and 6, read after it, once; 4's lost answer once more; no pause
    expect(bus.reads).toEqual([1, 2, 3, 4, 5, 6, 1, 2, 4]);
    expect(out.reads).toBe(9);
    expect(clock.now()).toBe(t0);
  });

  it('sends copies of a lost bus-wide start only while they are the block first sent, then plays to each terminal', async () => {
    const bus = new FakeBus([1, 2]);
    const clock = new FakeClock();
    const t0 = clock.now();
    const copies: number[] = [];
    // the line loses every bus-wide start; each read takes a second
    bus.commandAll = () => {
      copies.push(clock.now() - t0);
      bus.sent.push('all play (lost)');
      return Promise.resolve(null);
    };
    const status = bus.status.bind(bus);
    bus.status = async (k) => {
      clock.t += 1000;
      return status(k);
    };
    const out = await startPhase(bus, { ...base, toStart: [1, 2], wholeBus: true, deadline: t0 + 60_000 }, clock);
    expect(out.playing.map((p) => p.key).sort()).toEqual([1, 2]);
    expect(copies.length).toBeGreaterThan(1);
    expect(Math.max(...copies)).toBeLessThan(SAME_BLOCK_MS);
    expect(bus.sent.filter((x) => !x.startsWith('all'))).toEqual(['1 play', '2 play']);
  });
});
