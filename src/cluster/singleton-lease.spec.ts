import { Logger } from '@nestjs/common';
import { SystemClock } from '../common/clock';
import type { Tx } from '../database/transactions';
import { LeaseManager } from './lease-manager';
import { SingletonLease } from './singleton-lease';

describe('SingletonLease, not clustered', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('always holds, fences nothing and never calls back: the work runs as on one instance', async () => {
    const m = new LeaseManager(null, new SystemClock(), {
      clustered: false,
      instanceId: 'solo',
      label: 'solo',
      leaseMs: 5000,
    });
    const lease = new SingletonLease(m, 'relay-planner');
    const told: string[] = [];
    const sub = lease.watch({ gained: () => told.push('gained'), lost: () => told.push('lost') });
    m.start();
    await m.idle();
    expect(lease.key).toBe('singleton:relay-planner');
    expect(lease.clustered).toBe(false);
    expect(lease.holds()).toBe(true);
    await expect(lease.fence({} as Tx)).resolves.toBeUndefined();
    await m.stop();
    sub.unsubscribe();
    expect(told).toEqual([]);
  });
});
