/**
 * One simulated RS-485 bus: half duplex, one frame on the wire at a time, units that answer after their turnaround,
 * and the line-timing model enforced (PROTOCOLS.md "Line timing"): a request's reply is delivered only after the
 * request frame, the 3.5-character gap, the unit's turnaround and the reply frame have taken their time on the wire;
 * a broadcast (unit 0) is executed by every unit, answered by none, and keeps the bus busy for the broadcast delay.
 * A frame that arrives while the bus is busy collides: both are destroyed. Faults per unit and bus noise are named
 * modes (STYLE.md 4), decided by a seeded generator so runs repeat.
 */
import type { Clock } from '../../transport/clock';
import type { LineTiming } from '../../transport/line-timing';
import { sealRtu } from '../../modbus-crc';
import {
  decodeRequest, EXCEPTION, exceptionReply, FC_READ_HOLDING, FC_WRITE_MULTIPLE, FC_WRITE_SINGLE, readReply, writeReply,
} from './rtu-frames';

/** What a simulated unit does with register reads and writes. An exception code, or values / null for success. */
export interface ModbusDevice {
  readHolding(address: number, count: number, now: number): number[] | { exception: number };
  writeRegisters(address: number, values: number[], now: number, broadcast: boolean): { exception: number } | null;
}

export type UnitFault = 'none' | 'dead' | 'slow' | 'bad-crc' | 'wrong-unit' | 'exception' | 'no-reply' | 'flapping' | 'power-loss';

/** Times on this bus's wire, in milliseconds: the line-timing model (device-drivers/transport/line-timing.ts). */
export type BusTiming = Pick<LineTiming, 'frameMs' | 'gapMs' | 'turnaroundMs' | 'broadcastDelayMs'>;

export interface VirtualBusOptions {
  timing: BusTiming;
  clock: Clock;
  /** Probability that a frame (request or reply) is corrupted on the wire. */
  noise?: number;
  /** Deterministic 0..1 generator. */
  random?: () => number;
  /** Slow units answer after this many turnarounds. */
  slowFactor?: number;
  /** Flapping units alternate dead/alive with this period. */
  flapPeriodMs?: number;
}

export interface BusCounters {
  requests: number;
  broadcasts: number;
  replies: number;
  collisions: number;
  corrupted: number;
  unanswered: number;
}

type ReplySink = (frame: Buffer) => void;

export class VirtualBus {
  private readonly units = new Map<number, { device: ModbusDevice; fault: UnitFault }>();
  private busyUntil = 0;
  private inFlight: { cancel(): void } | null = null;
  readonly counters: BusCounters = { requests: 0, broadcasts: 0, replies: 0, collisions: 0, corrupted: 0, unanswered: 0 };

  constructor(private readonly opts: VirtualBusOptions) {}

  attach(unit: number, device: ModbusDevice): void {
    this.units.set(unit, { device, fault: 'none' });
  }

  setFault(unit: number, fault: UnitFault): void {
    const u = this.units.get(unit);
    if (u) u.fault = fault;
  }

  fault(unit: number): UnitFault {
    return this.units.get(unit)?.fault ?? 'dead';
  }

  unitIds(): number[] {
    return [...this.units.keys()];
  }

  /** When the wire is next free (ms on the bus clock). */
  freeAt(): number {
    return this.busyUntil;
  }

  /**
   * A request frame (unit + PDU + CRC) put on the wire now. The reply, if any, reaches `sink` when it has finished
   * crossing the wire. Returns false when the frame collided with traffic already on the wire.
   */
  transmit(frame: Buffer, sink: ReplySink): boolean {
    const { timing, clock } = this.opts;
    const now = clock.now();
    if (now < this.busyUntil) {
      this.counters.collisions += 1;
      this.inFlight?.cancel();
      this.inFlight = null;
      this.busyUntil = Math.max(this.busyUntil, now + timing.frameMs(frame.length) + timing.gapMs);
      return false;
    }
    const requestEnd = now + timing.frameMs(frame.length) + timing.gapMs;
    this.busyUntil = requestEnd;
    if (this.corrupts()) {
      this.counters.corrupted += 1;
      return true; // nobody recognises the frame; the master times out
    }
    const unit = frame[0];
    if (unit === 0) {
      this.counters.broadcasts += 1;
      for (const [, u] of this.units) if (this.alive(u.fault, now)) this.execute(0, u.device, frame, now);
      this.busyUntil = requestEnd + timing.broadcastDelayMs;
      return true;
    }
    this.counters.requests += 1;
    const target = this.units.get(unit);
    if (!target || !this.alive(target.fault, now) || target.fault === 'no-reply') {
      if (target && target.fault === 'no-reply') this.execute(unit, target.device, frame, now);
      this.counters.unanswered += 1;
      return true;
    }
    let reply = this.execute(unit, target.device, frame, now);
    reply = this.applyFault(target.fault, unit, reply, frame[1]);
    const turnaround = timing.turnaroundMs * (target.fault === 'slow' ? (this.opts.slowFactor ?? 5) : 1);
    const replyStart = requestEnd + turnaround;
    const replyEnd = replyStart + timing.frameMs(reply.length) + timing.gapMs;
    this.busyUntil = replyEnd;
    if (this.corrupts()) {
      reply = Buffer.from(reply);
      reply[reply.length - 1] ^= 0x5a;
      this.counters.corrupted += 1;
    }
    const delivered = reply;
    this.inFlight = clock.setTimeout(() => {
      this.inFlight = null;
      this.counters.replies += 1;
      sink(delivered);
    }, replyEnd - now); // a receiver knows a frame has ended after the 3.5-character silence
    return true;
  }

  private alive(fault: UnitFault, now: number): boolean {
    if (fault === 'dead' || fault === 'power-loss') return false;
    if (fault === 'flapping') return Math.floor(now / (this.opts.flapPeriodMs ?? 10_000)) % 2 === 0;
    return true;
  }

  private corrupts(): boolean {
    const noise = this.opts.noise ?? 0;
    return noise > 0 && (this.opts.random ?? Math.random)() < noise;
  }

  private applyFault(fault: UnitFault, unit: number, reply: Buffer, fc: number): Buffer {
    switch (fault) {
      case 'bad-crc': {
        const bad = Buffer.from(reply);
        bad[bad.length - 2] ^= 0xff;
        return bad;
      }
      case 'wrong-unit':
        return sealRtu((unit % 247) + 1, reply.subarray(1, reply.length - 2));
      case 'exception':
        return exceptionReply(unit, fc, EXCEPTION.deviceFailure);
      case 'none':
      case 'slow':
      case 'flapping':
      case 'dead':
      case 'power-loss':
      case 'no-reply':
        return reply;
    }
  }

  private execute(unit: number, device: ModbusDevice, frame: Buffer, now: number): Buffer {
    const req = decodeRequest(frame);
    const broadcast = unit === 0;
    if (req.fc === FC_READ_HOLDING && 'count' in req) {
      if (broadcast) return Buffer.alloc(0);
      if (req.count < 1 || req.count > 125) return exceptionReply(unit, req.fc, EXCEPTION.illegalValue);
      const r = device.readHolding(req.address, req.count, now);
      return Array.isArray(r) ? readReply(unit, r) : exceptionReply(unit, req.fc, r.exception);
    }
    if ((req.fc === FC_WRITE_SINGLE || req.fc === FC_WRITE_MULTIPLE) && 'values' in req) {
      if (req.fc === FC_WRITE_MULTIPLE && (req.values.length < 1 || req.values.length > 123)) {
        return exceptionReply(unit, req.fc, EXCEPTION.illegalValue);
      }
      const r = device.writeRegisters(req.address, req.values, now, broadcast);
      if (r) return exceptionReply(unit, req.fc, r.exception);
      return writeReply(unit, req.fc, req.address, req.fc === FC_WRITE_SINGLE ? req.values[0] : req.values.length);
    }
    return exceptionReply(unit, req.fc, EXCEPTION.illegalFunction);
  }
}
