import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { serveModbusTcp, type RunningGateway } from '../simulator/modbus/gateways';
import { VirtualBus, type BusTiming, type ModbusDevice } from '../simulator/modbus/virtual-bus';
import { systemClock, type Clock } from '../transport/clock';
import { ModbusConnection } from './connection';

/** A full collection, so that what is still reachable can be counted (weak references) rather than weighed. */
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** A wire that takes no time, its replies on the next turn of the event loop: thousands of requests in a second or two. */
const instant: BusTiming = { frameMs: () => 0, gapMs: 0, turnaroundMs: 0, broadcastDelayMs: 0 };
const busClock: Clock = {
  now: () => systemClock.now(),
  setTimeout(fn, ms) {
    if (ms > 0) return systemClock.setTimeout(fn, ms);
    const t = setImmediate(fn);
    return { cancel: () => clearImmediate(t) };
  },
};

/** Registers that are their own address; writes are taken. */
const echo: ModbusDevice = {
  readHolding: (address, count) => Array.from({ length: count }, (_, i) => address + i),
  writeRegisters: () => null,
};

describe('ModbusConnection over Modbus TCP, a long-lived connection', () => {
  let bus: VirtualBus;
  let gateway: RunningGateway;
  let conn: ModbusConnection;

  beforeEach(async () => {
    bus = new VirtualBus({ timing: instant, clock: busClock });
    bus.attach(1, echo);
    gateway = await serveModbusTcp(bus, busClock, { host: '127.0.0.1', port: 0, serialTimeoutMs: 60_000 });
    conn = await ModbusConnection.open({ kind: 'modbus-tcp', host: '127.0.0.1', port: gateway.port });
  });

  afterEach(async () => {
    conn.close();
    await gateway.close();
  });

  it('keeps nothing of a request once it has ended: of 5,000 replies on one connection none stays reachable', async () => {
    const replies: WeakRef<number[]>[] = [];
    for (let i = 0; i < 5000; i++) {
      const regs = await conn.readHolding(1, i % 100, 4);
      expect(regs).toEqual([i % 100, (i % 100) + 1, (i % 100) + 2, (i % 100) + 3]);
      replies.push(new WeakRef(regs));
      if (i % 10 === 9) await conn.writeRegisters(1, 200, [i]);
    }
    // a weak reference holds its target until the job that made it has ended
    await new Promise<void>((resolve) => setImmediate(resolve));
    collectGarbage();
    // before: every reply stayed reachable from the connection's close promise (one race reaction per request) and
    // the last 256 from modbus-serial's transaction records as well
    expect(replies.filter((r) => r.deref() !== undefined).length).toBe(0);
    expect(conn.waitingOnClose()).toBe(0);
  });

  it('still ends a request in flight at once when the gateway drops the connection', async () => {
    bus.setFault(1, 'no-reply');
    const reply = conn.readHolding(1, 0, 4);
    expect(conn.waitingOnClose()).toBe(1);
    const closed = new Promise<string>((resolve) => conn.onClose(resolve));
    await gateway.close();
    await expect(reply).rejects.toThrow(/^connection closed: /);
    await expect(closed).resolves.toMatch(/connection closed/);
    expect(conn.waitingOnClose()).toBe(0);
    // and a request made after it fails at once as well
    await expect(conn.readHolding(1, 0, 4)).rejects.toMatchObject({ message: 'Port Not Open' });
  });
});
