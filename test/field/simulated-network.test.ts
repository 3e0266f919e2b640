import ModbusRTU from 'modbus-serial';
import { systemClock } from '../../device-drivers/transport/clock';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import type { ModbusDevice } from '../../device-drivers/simulator/modbus/virtual-bus';
import { SimulatedNetwork } from '../../device-drivers/simulator/network';

class Echo implements ModbusDevice {
  constructor(private readonly unit: number) {}
  readHolding(_address: number, count: number) {
    return Array.from({ length: count }, () => this.unit);
  }
  writeRegisters() {
    return null;
  }
}

const county = referenceCounty();
const shape = { ...county, gateways: county.gateways.slice(0, 4) };
const options = {
  shape,
  clock: systemClock,
  timingFor: () => ({
    frameMs: (n: number) => (n * 11 * 1000) / 115200,
    gapMs: 1.75,
    turnaroundMs: 1,
    broadcastDelayMs: 5,
  }),
  deviceFactory: (_g: unknown, t: { unitId: number }) => new Echo(t.unitId),
};

describe('simulated network', () => {
  it('marks the same terminals dead for the same seed, and others for another', async () => {
    const a = await SimulatedNetwork.start({ ...options, seed: 42, deadFraction: 0.2 });
    const b = await SimulatedNetwork.start({ ...options, seed: 42, deadFraction: 0.2 });
    const c = await SimulatedNetwork.start({ ...options, seed: 43, deadFraction: 0.2 });
    try {
      expect(a.deadUnits()).toEqual(b.deadUnits());
      expect(a.deadUnits()).not.toEqual(c.deadUnits());
      expect(a.deadUnits().length).toBeGreaterThan(0);
    } finally {
      await Promise.all([a.stop(), b.stop(), c.stop()]);
    }
  });

  it('serves each gateway on its own port, and a killed gateway comes back on the same port', async () => {
    const net = await SimulatedNetwork.start(options);
    const client = new ModbusRTU();
    client.setTimeout(500);
    try {
      expect(new Set(net.gateways.map((g) => g.port)).size).toBe(4);
      const port = net.gateways[1].port;
      await client.connectTCP('127.0.0.1', { port });
      client.setID(3);
      expect((await client.readHoldingRegisters(0, 2)).data).toEqual([3, 3]);
      const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
      await net.killGateway(1);
      await closed;
      await expect(new ModbusRTU().connectTCP('127.0.0.1', { port })).rejects.toBeDefined();
      await net.reviveGateway(1);
      expect(net.gateways[1].port).toBe(port);
      const again = new ModbusRTU();
      await again.connectTCP('127.0.0.1', { port });
      again.setID(5);
      expect((await again.readHoldingRegisters(0, 1)).data).toEqual([5]);
      again.close(() => undefined);
    } finally {
      await net.stop();
    }
  });
});
