/**
 * The simulator's virtual gateways answer a stock modbus-serial client over Modbus TCP, RTU over TCP, and a real
 * socat pseudo-terminal pair, with line timing enforced (replies never arrive before the wire allows).
 */
import ModbusRTU from 'modbus-serial';
import { systemClock } from '../../device-drivers/transport/clock';
import { LineTiming, REFERENCE_BUS } from '../../device-drivers/transport/line-timing';
import {
  RunningGateway,
  serveModbusTcp,
  servePty,
  serveRtuOverTcp,
} from '../../device-drivers/simulator/modbus/gateways';
import { BusTiming, ModbusDevice, VirtualBus } from '../../device-drivers/simulator/modbus/virtual-bus';
import { describeWith } from '../support/capabilities';

const timing: BusTiming = new LineTiming(REFERENCE_BUS);

class Registers implements ModbusDevice {
  regs = Array.from({ length: 32 }, (_, i) => i * 3);
  broadcasts = 0;
  readHolding(address: number, count: number) {
    return address + count > this.regs.length ? { exception: 2 } : this.regs.slice(address, address + count);
  }
  writeRegisters(address: number, values: number[], _now: number, broadcast: boolean) {
    if (broadcast) this.broadcasts += 1;
    values.forEach((v, i) => (this.regs[address + i] = v));
    return null;
  }
}

function network() {
  const bus = new VirtualBus({ timing, clock: systemClock });
  const devices = [new Registers(), new Registers(), new Registers()];
  devices.forEach((d, i) => bus.attach(i + 1, d));
  bus.setFault(3, 'dead');
  return { bus, devices };
}

async function exercise(client: ModbusRTU, devices: Registers[]) {
  client.setTimeout(800);
  client.setID(2);
  const started = performance.now();
  const r = await client.readHoldingRegisters(0, 20);
  const elapsed = performance.now() - started;
  expect(r.data.slice(0, 4)).toEqual([0, 3, 6, 9]);
  // request 8 bytes + gap + 10 ms turnaround + 45-byte reply at 9,600 8E1 ≈ 74 ms: the wire forbids anything faster
  expect(elapsed).toBeGreaterThanOrEqual(timing.frameMs(8) + 10 + timing.frameMs(45) - 2);
  await client.writeRegisters(5, [77, 78]);
  expect(devices[1].regs.slice(5, 7)).toEqual([77, 78]);
  client.setID(1);
  await expect(client.readHoldingRegisters(40, 2)).rejects.toMatchObject({ modbusCode: 2 });
  client.setID(3);
  await expect(client.readHoldingRegisters(0, 1)).rejects.toBeDefined();
}

describe('virtual gateways with a stock modbus-serial client', () => {
  let gw: RunningGateway | null = null;
  const client = new ModbusRTU();
  afterEach(async () => {
    if (client.isOpen) await new Promise<void>((r) => client.close(() => r()));
    await gw?.close();
    gw = null;
  });

  it('serves Modbus TCP (MBAP), queueing requests and answering 0x0B for a silent unit', async () => {
    const { bus, devices } = network();
    gw = await serveModbusTcp(bus, systemClock, { serialTimeoutMs: 60 });
    await client.connectTCP('127.0.0.1', { port: gw.port });
    await exercise(client, devices);
    client.setID(3);
    await expect(client.readHoldingRegisters(0, 1)).rejects.toMatchObject({ modbusCode: 11 });
  });

  it('counts the requests of each Modbus TCP connection, and knows which are closed', async () => {
    const { bus } = network();
    gw = await serveModbusTcp(bus, systemClock, { serialTimeoutMs: 60 });
    await client.connectTCP('127.0.0.1', { port: gw.port });
    client.setTimeout(800);
    client.setID(2);
    await client.readHoldingRegisters(0, 2);
    await client.readHoldingRegisters(0, 2);
    await new Promise<void>((r) => client.close(() => r()));
    const second = new ModbusRTU();
    await second.connectTCP('127.0.0.1', { port: gw.port });
    second.setTimeout(800);
    second.setID(1);
    await second.readHoldingRegisters(0, 1);
    expect(gw.connections?.()).toEqual([
      { id: 1, requests: 2, open: false },
      { id: 2, requests: 1, open: true },
    ]);
    await new Promise<void>((r) => second.close(() => r()));
  });

  it('answers 0x0B for a corrupted reply once its frame has ended, not after its own timeout', async () => {
    const { bus } = network();
    bus.setFault(2, 'bad-crc');
    // the gateway would wait 30 s for a unit that stays silent; the client gives up after 5 s: only an answer sent
    // when the bad frame ended reaches it
    gw = await serveModbusTcp(bus, systemClock, { serialTimeoutMs: 30_000 });
    await client.connectTCP('127.0.0.1', { port: gw.port });
    client.setTimeout(5_000);
    client.setID(2);
    await expect(client.readHoldingRegisters(0, 4)).rejects.toMatchObject({ modbusCode: 11 });
  });

  it('can model a gateway that drops a corrupted reply and waits out its timeout', async () => {
    const { bus } = network();
    bus.setFault(2, 'bad-crc');
    gw = await serveModbusTcp(bus, systemClock, { serialTimeoutMs: 30_000, corruptReply: 'wait' });
    await client.connectTCP('127.0.0.1', { port: gw.port });
    client.setTimeout(300);
    client.setID(2);
    await expect(client.readHoldingRegisters(0, 4)).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
  });

  it('serves raw RTU frames over TCP', async () => {
    const { bus, devices } = network();
    gw = await serveRtuOverTcp(bus);
    await client.connectTelnet('127.0.0.1', { port: gw.port });
    await exercise(client, devices);
  });
});

describeWith(['socat'], 'virtual gateway on a socat pseudo-terminal pair', () => {
  it('serves RTU on a real serial port', async () => {
    const { bus, devices } = network();
    const pty = await servePty(bus);
    const client = new ModbusRTU();
    try {
      await client.connectRTUBuffered(pty.path, { baudRate: 9600, parity: 'even' });
      await exercise(client, devices);
    } finally {
      if (client.isOpen) await new Promise<void>((r) => client.close(() => r()));
      await pty.close();
    }
  });
});
