import { encodeStatus } from '../../firmware-protocols/terminal-modbus';
import { generateKeyPair, Sm2Signer } from '../../firmware-protocols/signing';
import { systemClock } from '../transport/clock';
import { LineTiming } from '../transport/line-timing';
import { longBusShape } from '../simulator/county-shape';
import { SimulatedNetwork } from '../simulator/network';
import type { ModbusDevice } from '../simulator/modbus/virtual-bus';
import {
  busTargetOf,
  controllerSweeps,
  naiveSweeps,
  STATUS_READ,
  STATUS_REPLY_BYTES,
  STATUS_REQUEST_BYTES,
  sweepBound,
  type BusTarget,
  type DriverDeps,
} from './sweep';

/** A unit that answers its status read (PROTOCOL.md §3) and nothing else: the sweep needs no more. */
const statusOnly = (unit: number): ModbusDevice => ({
  readHolding: (address, count) =>
    address === STATUS_READ.address && count === STATUS_READ.count
      ? encodeStatus({
          state: 1,
          priority: 15,
          source: 'none',
          broadcastClass: 0,
          volume: 50,
          clipId: 0,
          broadcastHandle: 0,
          faults: [],
          supplyVoltage: 24,
          temperature: 20,
          signalQuality: null,
          uptimeSeconds: unit,
          crcErrors: 0,
          refusedCommands: 0,
          lastCommandSequence: 0,
          clockSeconds: 0,
        })
      : { exception: 0x02 },
  writeRegisters: () => null,
});

/** A fast line, so the real sockets and timers of this suite take milliseconds. */
const FAST = new LineTiming({ baud: 115_200, parity: 'none', turnaroundMs: 1, broadcastDelayMs: 2 });

describe('status sweeps against the simulator (one bus of 4 units, unit 3 dead)', () => {
  let net: SimulatedNetwork;
  let target: BusTarget;
  let sequence = 0;
  const deps: DriverDeps = {
    clock: systemClock,
    signer: new Sm2Signer('202400000017', generateKeyPair().privateKey),
    nextSequence: () => ++sequence,
  };

  beforeAll(async () => {
    const shape = longBusShape({ requestTimeoutMs: 40 });
    shape.gateways[0].terminals = shape.gateways[0].terminals.slice(0, 4);
    net = await SimulatedNetwork.start({
      shape,
      clock: systemClock,
      timingFor: () => FAST,
      deviceFactory: (_g, t) => statusOnly(t.unitId),
    });
    net.setFault(0, 3, 'dead');
    target = { ...busTargetOf(shape.gateways[0], '127.0.0.1', net.gateways[0].port), timing: FAST };
  });

  afterAll(() => net.stop());

  it('configures the driver from the gateway as the server does from its registry row', () => {
    const g = longBusShape().gateways[0];
    expect(busTargetOf(g, '127.0.0.1', 1502).gateway).toEqual({
      kind: 'modbus-tcp',
      host: '127.0.0.1',
      port: 1502,
      baudRate: 9600,
      parity: 'even',
      dataBits: 8,
      stopBits: 1,
      requestTimeoutMs: 150,
      turnaroundMs: 10,
      broadcastDelayMs: 50,
    });
  });

  it('the controller (driver + sweeper) waits out the dead unit once, then skips it while it is backed off', async () => {
    const run = await controllerSweeps([target], 3, deps);
    expect(run).toMatchObject({ ok: 9, failed: 1, skipped: 2, requests: 10 });
    expect(run.errors).toEqual({ timeout: 1, backoff: 3 });
    expect(run.busSeconds).toHaveLength(1);
    expect(run.cycleMs).toHaveLength(8);
  });

  it('the naive baseline waits the dead unit out in every sweep', async () => {
    const run = await naiveSweeps([target], 3);
    expect(run).toMatchObject({ ok: 9, failed: 3, skipped: 0, requests: 12 });
    expect(run.errors).toEqual({ timeout: 3 });
  });

  it('bounds the work by live transactions in every sweep plus one unanswered request per dead unit', () => {
    const b = sweepBound(target, 3, 1);
    expect(b.counts).toEqual({ transactions: 9, broadcasts: 0, unanswered: 1 });
    expect(b.ms).toBeCloseTo(
      9 * FAST.transactionMs(STATUS_REQUEST_BYTES, STATUS_REPLY_BYTES) + FAST.unansweredMs(STATUS_REQUEST_BYTES),
      9,
    );
  });
});
