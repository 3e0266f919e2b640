import ModbusRTU from 'modbus-serial';
import { serveModbusTcp, type RunningGateway } from '../simulator/modbus/gateways';
import { VirtualBus, type BusTiming, type ModbusDevice } from '../simulator/modbus/virtual-bus';
import { systemClock } from '../transport/clock';
import { sendRecorded } from './modbus-serial-records';

const instant: BusTiming = { frameMs: () => 0, gapMs: 0, turnaroundMs: 0, broadcastDelayMs: 0 };

/** Registers that are their own address; the first read is answered `lateMs` late when set. */
class EchoUnit implements ModbusDevice {
  lateMs = 0;
  readHolding(address: number, count: number): number[] {
    return Array.from({ length: count }, (_, i) => address + i);
  }
  writeRegisters(): null {
    return null;
  }
  extraTurnaroundMs(): number {
    const ms = this.lateMs;
    this.lateMs = 0;
    return ms;
  }
}

/** modbus-serial's private state that modbus-serial-records.ts reads. */
interface Internals {
  _transactions: Record<string, { next?: unknown; _timeoutHandle?: unknown }>;
  _port: { _transactionIdWrite: number; once(event: 'data', fn: () => void): void };
}
const internals = (client: ModbusRTU): Internals => client as unknown as Internals;

describe("modbus-serial's records of requests (modbus-serial-records.ts)", () => {
  let unit: EchoUnit;
  let gateway: RunningGateway;
  let client: ModbusRTU;

  beforeEach(async () => {
    const bus = new VirtualBus({ timing: instant, clock: systemClock });
    unit = new EchoUnit();
    bus.attach(1, unit);
    gateway = await serveModbusTcp(bus, systemClock, { host: '127.0.0.1', port: 0, serialTimeoutMs: 5_000 });
    client = new ModbusRTU();
    await client.connectTCP('127.0.0.1', { port: gateway.port });
    client.setID(1);
    client.setTimeout(2_000);
  });

  afterEach(async () => {
    if (client.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
    await gateway.close();
  });

  it('are kept by modbus-serial itself, under the Modbus TCP transaction id: the last 256 of a connection (the reason)', async () => {
    for (let i = 0; i < 300; i++) await client.readHoldingRegisters(i, 2);
    // should this fail after an upgrade, modbus-serial drops its records itself: modbus-serial-records.ts may go
    const records = Object.values(internals(client)._transactions);
    expect(records).toHaveLength(256);
    for (const r of records) expect(typeof r.next).toBe('function');
  });

  it('made by a request are found under the id the port had before it was sent (the shape relied on)', async () => {
    const id = internals(client)._port._transactionIdWrite;
    expect(Number.isInteger(id)).toBe(true);
    const reply = client.readHoldingRegisters(7, 1);
    expect(typeof internals(client)._transactions[id]?.next).toBe('function');
    await expect(reply).resolves.toMatchObject({ data: [7] });
  });

  it('are dropped once released: 300 requests on one connection leave none, and each is answered', async () => {
    for (let i = 0; i < 300; i++) {
      const request = sendRecorded<object>(client, () =>
        i % 3 === 2 ? client.writeRegisters(i, [i]) : client.readHoldingRegisters(i, 2),
      );
      expect(Object.keys(internals(client)._transactions)).toHaveLength(1);
      const reply = await request.reply;
      request.release();
      request.release();
      expect(reply).toMatchObject(i % 3 === 2 ? { address: i, length: 1 } : { data: [i, i + 1] });
    }
    expect(Object.keys(internals(client)._transactions)).toHaveLength(0);
  });

  it('a reply that comes after its request timed out and was released is ignored, and the next is answered', async () => {
    unit.lateMs = 300;
    client.setTimeout(50);
    const late = sendRecorded(client, () => client.readHoldingRegisters(1, 2));
    await expect(late.reply).rejects.toMatchObject({ errno: 'ETIMEDOUT' });
    late.release();
    await new Promise<void>((resolve) => internals(client)._port.once('data', resolve));
    expect(Object.keys(internals(client)._transactions)).toHaveLength(0);
    client.setTimeout(2_000);
    const next = sendRecorded(client, () => client.readHoldingRegisters(5, 2));
    await expect(next.reply).resolves.toMatchObject({ data: [5, 6] });
    next.release();
  });

  it('a request refused before it was recorded (port not open) leaves an earlier record alone', async () => {
    const kept = sendRecorded(client, () => client.readHoldingRegisters(0, 1));
    await kept.reply;
    await new Promise<void>((resolve) => client.close(() => resolve()));
    const refused = sendRecorded(client, () => client.readHoldingRegisters(0, 1));
    await expect(refused.reply).rejects.toMatchObject({ message: 'Port Not Open' });
    refused.release();
    expect(Object.keys(internals(client)._transactions)).toHaveLength(1);
  });
});

describe('sendRecorded on a client of another shape (a later modbus-serial)', () => {
  const reply = (): Promise<string> => Promise.resolve('ok');
  const shapes: [string, object][] = [
    ['no records', {}],
    [
      'records in a Map',
      { _transactions: new Map([[1, { next: () => undefined }]]), _port: { _transactionIdWrite: 1 } },
    ],
    ['no port', { _transactions: {} }],
    ['an id that is not a number', { _transactions: {}, _port: { _transactionIdWrite: '1' } }],
    [
      'fields that throw when read',
      new Proxy(
        {},
        {
          get: () => {
            throw new Error('no');
          },
        },
      ),
    ],
  ];

  it.each(shapes)(
    '%s: the request goes as it is and releasing it does nothing, without throwing',
    async (_, client) => {
      const request = sendRecorded(client, reply);
      await expect(request.reply).resolves.toBe('ok');
      expect(() => request.release()).not.toThrow();
    },
  );

  it('a record that does not look like one (no callback) is not touched', async () => {
    const records: Record<number, unknown> = {};
    const client = { _transactions: records, _port: { _transactionIdWrite: 4 } };
    const request = sendRecorded(client, () => {
      records[4] = { something: 'else' };
      return reply();
    });
    await request.reply;
    request.release();
    expect(records[4]).toEqual({ something: 'else' });
  });

  it('a record that cannot be deleted stays, without throwing', async () => {
    const records: Record<number, unknown> = {};
    const client = { _transactions: records, _port: { _transactionIdWrite: 2 } };
    const made = { next: () => undefined };
    const request = sendRecorded(client, () => {
      Object.defineProperty(records, 2, { value: made, enumerable: true, configurable: false });
      return reply();
    });
    await request.reply;
    expect(() => request.release()).not.toThrow();
    expect(records[2]).toBe(made);
  });

  it('what send throws goes to the caller', () => {
    expect(() =>
      sendRecorded({}, () => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
  });
});
