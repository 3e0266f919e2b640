import { DeliveryLedger, type LedgerRow } from '../delivery-ledger';
import { retryUnreachable } from './retry-unreachable';

const row = (id: number, gatewayId: number, over: Partial<LedgerRow> = {}): LedgerRow => ({
  id,
  terminalId: 100 + id,
  areaCode: '341523100001',
  gatewayId,
  unit: id,
  state: 'unreachable',
  reason: 'no answer',
  ...over,
});

describe('retryUnreachable', () => {
  it('gives the unreachable terminals of a bus where a start went out the earliest start of that bus, to be read first', () => {
    const sent = new Date(1_000);
    const ledger = new DeliveryLedger([
      row(1, 1, { state: 'playing', startSentAt: sent, startFloor: 40, startSequence: 41 }),
      row(2, 1, { state: 'ready', startSentAt: new Date(2_000), startFloor: 60, startSequence: 61 }),
      row(3, 1),
      row(4, 2),
      row(5, 1, { startSentAt: new Date(3_000), startFloor: 70, startSequence: null }),
    ]);
    retryUnreachable(ledger);
    const of = (id: number) => ledger.rows().find((r) => r.id === id);
    expect(ledger.inState('pending').map((r) => r.id)).toEqual([3, 4, 5]);
    // reached by bus 1's bus-wide start: read before it is started
    expect(of(3)).toMatchObject({ startSentAt: sent, startFloor: 40, startSequence: 41 });
    // nothing went out on bus 2: started as any
    expect(of(4)?.startSentAt ?? null).toBeNull();
    // a start of its own was recorded: kept
    expect(of(5)).toMatchObject({ startFloor: 70, startSequence: null });
  });
});
