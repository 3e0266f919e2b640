import { systemClock } from '../transport/clock';
import { LineTiming } from '../transport/line-timing';
import { longBusShape } from '../simulator/county-shape';
import { SimulatedNetwork } from '../simulator/network';
import type { ModbusDevice } from '../simulator/modbus/virtual-bus';
import { controllerSweeps, naiveSweeps, STATUS_REPLY_BYTES, STATUS_REQUEST_BYTES, sweepBound, type BusTarget } from './sweep';

/** A unit that answers any in-range read with a fixed pattern: the sweep only needs its status read answered. */
const registerBank = (seed: number): ModbusDevice => ({
  readHolding: (address, count) => (address + count > 0x400 ? { exception: 0x02 } : Array.from({ length: count }, (_, i) => (seed + address + i) & 0xffff)),
  writeRegisters: () => null,
});

/** A fast line, so the real sockets and timers of this suite take milliseconds. */
const FAST = new LineTiming({ baud: 115_200, parity: 'none', turnaroundMs: 1, broadcastDelayMs: 2 });

describe('status sweeps against the simulator (one bus of 4 units, unit 3 dead)', () => {
  let net: SimulatedNetwork;
  let target: BusTarget;

  beforeAll(async () => {
    const shape = longBusShape({ requestTimeoutMs: 40 });
    shape.gateways[0].terminals = shape.gateways[0].terminals.slice(0, 4);
    net = await SimulatedNetwork.start({ shape, clock: systemClock, timingFor: () => FAST, deviceFactory: (_g, t) => registerBank(t.unitId) });
    net.setFault(0, 3, 'dead');
    target = { busId: 'long-bus', host: '127.0.0.1', port: net.gateways[0].port, units: [1, 2, 3, 4], timing: FAST, gatewayTimeoutMs: 40 };
  });

  afterAll(() => net.stop());

  it('the controller polls the dead unit twice (poll + retry), then backs it off and fails it fast', async () => {
    const run = await controllerSweeps([target], 3);
    expect(run.ok).toBe(9);
    expect(run.errors).toEqual({ timeout: 2, backoff: 2 });
    expect(run.polls).toBe(13);
    expect(run.transactionMs).toHaveLength(9);
  });

  it('the naive baseline waits the dead unit out in every sweep', async () => {
    const run = await naiveSweeps([target], 3);
    expect(run.ok).toBe(9);
    expect(run.errors).toEqual({ timeout: 3 });
    expect(run.polls).toBe(12);
  });

  it('bounds the work by live transactions in every sweep plus one unanswered request per dead unit', () => {
    const b = sweepBound(target, 3, 1);
    expect(b.counts).toEqual({ transactions: 9, broadcasts: 0, unanswered: 1 });
    expect(b.ms).toBeCloseTo(9 * FAST.transactionMs(STATUS_REQUEST_BYTES, STATUS_REPLY_BYTES) + FAST.unansweredMs(STATUS_REQUEST_BYTES), 9);
  });
});
