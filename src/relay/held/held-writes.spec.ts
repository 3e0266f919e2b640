import { FieldError, type HeldTable } from '../../field/field-port';
import type { HeldPlan } from './held-plan';
import { writeBus, type HeldBusIo, type HeldWant } from './held-writes';

const want = (terminalId: number, digest: string): HeldWant => ({
  terminalId,
  gatewayId: 1,
  plan: { digest } as unknown as HeldPlan,
  digest,
  write: true,
});

const inDoubt = (terminalId: number): FieldError =>
  new FieldError(
    {
      kind: 'start-in-doubt',
      exceptionCode: null,
      message: `gateway 1 unit ${terminalId} held schedule write: not sent, a broadcast start to terminal ${terminalId} is not verified yet`,
    },
    'gateway 1',
    terminalId,
    'held schedule write',
  );

describe('held tables of one bus', () => {
  it('defers a terminal whose broadcast start is in doubt, without trying again or failing it; writes the others', async () => {
    const writes: number[] = [];
    const io: HeldBusIo = {
      writeAll: () => Promise.reject(inDoubt(1)),
      write: (id: number, _t: HeldTable) => {
        writes.push(id);
        return id === 1 ? Promise.reject(inDoubt(1)) : Promise.resolve();
      },
      terminalsOn: () => [1, 2, 3],
      outOfReach: () => false,
    };
    const out = await writeBus(1, [want(1, 'd1'), want(2, 'd1'), want(3, 'd1')], io, (p) => p as unknown as HeldTable);
    expect(out.deferred.map((w) => w.terminalId)).toEqual([1]);
    expect(out.failed).toEqual([]);
    expect(out.written.map((w) => w.terminalId)).toEqual([2, 3]);
    expect(writes.filter((id) => id === 1)).toHaveLength(1);
  });
});
