import { ManualClock } from '../../transport/clock';
import { LineTiming, REFERENCE_BUS } from '../../transport/line-timing';
import { rtuCrcOk, sealRtu } from '../../modbus-crc';
import { RtuRequestParser } from './rtu-frames';
import { BusTiming, ModbusDevice, VirtualBus } from './virtual-bus';

/** The reference bus: 9,600 baud 8E1 (11 bits a character), turnaround 10 ms, broadcast delay 50 ms. */
const timing: BusTiming = new LineTiming(REFERENCE_BUS);

class Registers implements ModbusDevice {
  regs = new Array<number>(64).fill(0);
  writeRefused?: () => void;
  writes: { address: number; values: number[]; broadcast: boolean }[] = [];
  readHolding(address: number, count: number) {
    if (address + count > this.regs.length) return { exception: 2 };
    return this.regs.slice(address, address + count);
  }
  writeRegisters(address: number, values: number[], _now: number, broadcast: boolean) {
    this.writes.push({ address, values, broadcast });
    values.forEach((v, i) => (this.regs[address + i] = v));
    return null;
  }
}

const read = (unit: number, address: number, count: number) =>
  sealRtu(unit, Buffer.from([0x03, address >> 8, address & 0xff, count >> 8, count & 0xff]));
const write = (unit: number, address: number, values: number[]) => {
  const pdu = Buffer.alloc(6 + 2 * values.length);
  pdu[0] = 0x10;
  pdu.writeUInt16BE(address, 1);
  pdu.writeUInt16BE(values.length, 3);
  pdu[5] = 2 * values.length;
  values.forEach((v, i) => pdu.writeUInt16BE(v, 6 + 2 * i));
  return sealRtu(unit, pdu);
};

function setup(units = 3, extra: Partial<ConstructorParameters<typeof VirtualBus>[0]> = {}) {
  const clock = new ManualClock(0);
  const bus = new VirtualBus({ timing, clock, ...extra });
  const devices = Array.from({ length: units }, () => new Registers());
  devices.forEach((d, i) => bus.attach(i + 1, d));
  const replies: { at: number; frame: Buffer }[] = [];
  const sink = (frame: Buffer) => replies.push({ at: clock.now(), frame });
  return { clock, bus, devices, replies, sink };
}

describe('VirtualBus line timing', () => {
  it('delivers a reply only after request frame, gap, turnaround and reply frame', () => {
    const { clock, bus, devices, replies, sink } = setup();
    devices[1].regs[4] = 0x1234;
    bus.transmit(read(2, 0, 20), sink);
    const expected = timing.frameMs(8) + timing.gapMs + 10 + timing.frameMs(5 + 40) + timing.gapMs;
    clock.advance(expected - 0.01);
    expect(replies).toHaveLength(0);
    clock.advance(0.01);
    expect(replies).toHaveLength(1);
    expect(replies[0].at).toBeCloseTo(expected, 6);
    expect(rtuCrcOk(replies[0].frame)).toBe(true);
    expect(replies[0].frame.readUInt16BE(3 + 8)).toBe(0x1234);
  });

  it('executes a broadcast on every unit, answers nothing, and holds the bus for the broadcast delay', () => {
    const { clock, bus, devices, replies, sink } = setup();
    bus.transmit(write(0, 10, [7, 8]), sink);
    expect(devices.every((d) => d.writes[0]?.broadcast === true)).toBe(true);
    expect(bus.freeAt()).toBeCloseTo(timing.frameMs(13) + timing.gapMs + 50, 6);
    clock.advance(20);
    expect(bus.transmit(read(1, 0, 1), sink)).toBe(false);
    expect(bus.counters.collisions).toBe(1);
    clock.advance(1000);
    expect(replies).toHaveLength(0);
  });

  it('destroys both frames when a request overlaps a reply in flight', () => {
    const { clock, bus, replies, sink } = setup();
    bus.transmit(read(1, 0, 10), sink);
    clock.advance(15);
    expect(bus.transmit(read(2, 0, 10), sink)).toBe(false);
    clock.advance(1000);
    expect(replies).toHaveLength(0);
  });

  it('lets a dead unit cost only the request frame on the wire', () => {
    const { clock, bus, replies, sink } = setup();
    bus.setFault(3, 'dead');
    bus.transmit(read(3, 0, 10), sink);
    expect(bus.freeAt()).toBeCloseTo(timing.frameMs(8) + timing.gapMs, 6);
    clock.advance(1000);
    expect(replies).toHaveLength(0);
    expect(bus.counters.unanswered).toBe(1);
  });

  it.each([
    ['bad-crc', (f: Buffer) => expect(rtuCrcOk(f)).toBe(false)],
    ['wrong-unit', (f: Buffer) => expect(f[0]).toBe(3)],
    ['exception', (f: Buffer) => expect([f[1], f[2]]).toEqual([0x83, 4])],
  ] as const)('fault %s shapes the reply', (fault, check) => {
    const { clock, bus, replies, sink } = setup();
    bus.setFault(2, fault);
    bus.transmit(read(2, 0, 2), sink);
    clock.advance(1000);
    check(replies[0].frame);
  });

  it('answers late when slow, and never when set to no-reply though it still obeys', () => {
    const { clock, bus, devices, replies, sink } = setup(2, { slowFactor: 5 });
    bus.setFault(1, 'slow');
    bus.transmit(read(1, 0, 1), sink);
    clock.advance(1000);
    expect(replies[0].at).toBeCloseTo(timing.frameMs(8) + timing.gapMs + 50 + timing.frameMs(7) + timing.gapMs, 6);
    bus.setFault(2, 'no-reply');
    bus.transmit(write(2, 0, [9]), sink);
    clock.advance(1000);
    expect(replies).toHaveLength(1);
    expect(devices[1].regs[0]).toBe(9);
  });

  it('corrupts frames at the configured rate, deterministically', () => {
    let seed = 1;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const { clock, bus, replies, sink } = setup(1, { noise: 0.2, random });
    for (let i = 0; i < 200; i++) {
      bus.transmit(read(1, 0, 1), sink);
      clock.advance(100);
    }
    const bad = replies.filter((r) => !rtuCrcOk(r.frame)).length + bus.counters.unanswered;
    expect(bus.counters.corrupted).toBeGreaterThan(40);
    expect(bus.counters.corrupted).toBeLessThan(120);
    expect(bad).toBeGreaterThan(0);
  });

  it('counts which frames noise took: a broadcast, a request to a unit that would answer (not a dead one), a reply', () => {
    // one draw a frame (no stray traffic): 0 corrupts it
    const draws = [0, 0, 0, 1, 0];
    const random = () => draws.shift() ?? 1;
    const { clock, bus, sink } = setup(2, { noise: 0.5, strayTraffic: 0, random });
    bus.setFault(2, 'dead');
    bus.transmit(write(0, 0, [1]), sink); // broadcast: noise
    clock.advance(1000);
    bus.transmit(read(1, 0, 1), sink); // request: noise
    clock.advance(1000);
    bus.transmit(read(2, 0, 1), sink); // request to the dead unit: noise
    clock.advance(1000);
    bus.transmit(read(1, 0, 1), sink); // request kept, reply: noise
    clock.advance(1000);
    expect(bus.counters).toMatchObject({
      corrupted: 4,
      corruptedBroadcasts: 1,
      corruptedRequests: 1,
      corruptedReplies: 1,
    });
  });
});

describe('VirtualBus fault modes', () => {
  it('collides requests with a stray talker at the configured rate (collision mode)', () => {
    const { clock, bus, replies, sink } = setup(1);
    bus.setStrayTraffic(1);
    expect(bus.transmit(read(1, 0, 1), sink)).toBe(false);
    clock.advance(1000);
    expect(replies).toHaveLength(0);
    expect(bus.counters.collisions).toBe(1);
    bus.setStrayTraffic(0);
    expect(bus.transmit(read(1, 0, 1), sink)).toBe(true);
  });

  it('tells a unit when its named fault changes, and adds its extra turnaround to the reply time', () => {
    const changes: string[] = [];
    class Verifying extends Registers {
      extraTurnaroundMs() {
        return 6;
      }
      faultChanged(fault: string, previous: string) {
        changes.push(`${previous}->${fault}`);
      }
    }
    const clock = new ManualClock(0);
    const bus = new VirtualBus({ timing, clock });
    bus.attach(1, new Verifying());
    bus.setFault(1, 'power-loss');
    bus.setFault(1, 'none');
    expect(changes).toEqual(['none->power-loss', 'power-loss->none']);
    const at: number[] = [];
    bus.transmit(read(1, 0, 1), () => at.push(clock.now()));
    clock.advance(1000);
    expect(at[0]).toBeCloseTo(timing.frameMs(8) + timing.gapMs + 10 + 6 + timing.frameMs(7) + timing.gapMs, 6);
  });
});

describe('RtuRequestParser', () => {
  it('cuts requests fed byte by byte and resynchronises on garbage', () => {
    const p = new RtuRequestParser();
    const stream = Buffer.concat([
      Buffer.from([0xff, 0x13, 0x03]),
      read(1, 0, 20),
      Buffer.from([0x00]),
      write(2, 5, [1, 2, 3]),
    ]);
    const frames: Buffer[] = [];
    for (const b of stream) frames.push(...p.push(Buffer.from([b])));
    expect(frames.map((f) => [f[0], f[1]])).toEqual([
      [1, 3],
      [2, 0x10],
    ]);
    expect(p.discarded).toBe(4);
  });

  it('never holds more than its cap', () => {
    const p = new RtuRequestParser(64);
    p.push(Buffer.from([1, 0x10, 0, 0, 0, 100, 200]));
    p.push(Buffer.alloc(100, 0x11));
    expect(p.buffered).toBeLessThanOrEqual(64);
  });
});

describe('VirtualBus Modbus front (terminal-modbus PROTOCOL.md §1)', () => {
  const answer = (frame: Buffer) => {
    const { clock, bus, devices, replies, sink } = setup(1);
    bus.transmit(frame, sink);
    clock.advance(1000);
    return { reply: replies[0]?.frame.subarray(1, -2).toString('hex') ?? null, device: devices[0] };
  };

  it('answers FC06 with 0x01 and does not write; ignores it broadcast', () => {
    const single = sealRtu(1, Buffer.from([0x06, 0x00, 0x04, 0x12, 0x34]));
    const { reply, device } = answer(single);
    expect(reply).toBe('8601');
    expect(device.writes).toHaveLength(0);
    const b = answer(sealRtu(0, Buffer.from([0x06, 0x00, 0x04, 0x12, 0x34])));
    expect(b.reply).toBeNull();
    expect(b.device.writes).toHaveLength(0);
  });

  it('answers an FC16 whose byte count is not twice its count with 0x03, telling the unit', () => {
    const { clock, bus, devices, replies, sink } = setup(1);
    let refused = 0;
    devices[0].writeRefused = () => (refused += 1);
    const bad = sealRtu(1, Buffer.from([0x10, 0x00, 0x04, 0x00, 0x02, 0x02, 0x12, 0x34]));
    bus.transmit(bad, sink);
    clock.advance(1000);
    expect(replies[0].frame.subarray(1, -2).toString('hex')).toBe('9003');
    expect(devices[0].writes).toHaveLength(0);
    expect(refused).toBe(1);
  });
});
