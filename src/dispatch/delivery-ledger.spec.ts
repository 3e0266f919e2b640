import { DeliveryLedger, type LedgerRow } from './delivery-ledger';

const rows = (n: number): LedgerRow[] =>
  Array.from({ length: n }, (_, i) => ({
    id: i + 1,
    terminalId: 100 + i,
    areaCode: '341523100201',
    gatewayId: 1,
    unit: i + 1,
    state: 'pending',
    reason: null,
  }));

describe('DeliveryLedger', () => {
  it('folds a step over many terminals into one update per distinct set of values', () => {
    const l = new DeliveryLedger(rows(1000));
    const at = new Date('2026-12-01T08:00:00Z');
    l.move(
      l.rows().map((r) => r.id),
      'transferring',
    );
    l.move(
      l
        .rows()
        .slice(0, 990)
        .map((r) => r.id),
      'ready',
      null,
      { terminalClipId: 7 },
    );
    l.move([991, 992], 'unreachable', 'no reply');
    l.move([993], 'failed', 'storage refused');
    l.patch(
      l.inState('ready').map((r) => r.id),
      { startSentAt: at },
    );
    const { changes, updates } = l.take();
    expect(changes).toHaveLength(1000 + 990 + 3);
    expect(updates).toHaveLength(4);
    const ready = updates.find((u) => u.set.state === 'ready');
    expect(ready?.ids).toHaveLength(990);
    expect(ready?.set).toEqual({ state: 'ready', reason: null, terminalClipId: 7, startSentAt: at });
    expect(l.pending).toBe(false);
    expect(l.counts()).toMatchObject({ ready: 990, unreachable: 2, failed: 1, transferring: 7 });
  });

  it('refuses a transition the lifecycle does not allow, and a failure without a reason', () => {
    const l = new DeliveryLedger(rows(2));
    expect(() => l.move([1], 'played')).toThrow(/cannot go from pending to played/);
    expect(() => l.move([1], 'failed')).toThrow(/without a reason/);
    l.move([2], 'cancelled');
    expect(() => l.move([2], 'pending')).toThrow(/cannot go from cancelled/);
  });

  it('takes a move to the current state as a patch only', () => {
    const l = new DeliveryLedger(rows(1));
    l.move([1], 'ready');
    l.take();
    l.move([1], 'ready', null, { attempts: 2 });
    expect(l.take()).toEqual({ changes: [], updates: [{ ids: [1], set: { attempts: 2 } }] });
  });
});
