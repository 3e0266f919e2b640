import { Logger } from '@nestjs/common';
import { SystemClock } from '../common/clock';
import type { Tx } from '../database/transactions';
import { LeaseManager, type LeaseEvent, busKey, singletonKey } from './lease-manager';

describe('LeaseManager, not clustered', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('is a single instance owning every bus, with no database and no events', async () => {
    const m = new LeaseManager(null, new SystemClock(), {
      clustered: false,
      instanceId: 'solo',
      label: 'solo',
      leaseMs: 5000,
    });
    const events: LeaseEvent[] = [];
    m.events.subscribe((e) => events.push(e));
    m.setBuses([busKey(1), busKey(2)]);
    const planner = m.addSingleton('relay-planner');
    expect(planner).toBe(singletonKey('relay-planner'));
    m.start();
    await m.idle();
    expect(m.describe()).toBe('single instance: owns every bus');
    expect(m.holds(busKey(1))).toBe(true);
    expect(m.holds(busKey(99))).toBe(true);
    expect(m.holds(planner)).toBe(true);
    expect(m.epochOf(busKey(1))).toBe(0);
    await expect(m.fence({} as Tx, busKey(1))).resolves.toBeUndefined();
    await m.stop();
    expect(events).toEqual([]);
  });

  it('refuses to be clustered without a store', () => {
    expect(
      () => new LeaseManager(null, new SystemClock(), { clustered: true, instanceId: 'x', label: 'x', leaseMs: 5000 }),
    ).toThrow(/needs a LeaseStore/);
  });
});
