/**
 * One simulated RS-485 bus: half duplex, one frame on the wire at a time, units that answer after their turnaround,
 * and the line-timing model enforced (docs/protocols.md, "The line-timing model"): a request's reply is delivered only after the
 * request frame, the 3.5-character gap, the unit's turnaround and the reply frame have taken their time on the wire;
 * a broadcast (unit 0) is executed by every unit, answered by none, and keeps the bus busy for the broadcast delay.
 * A frame that arrives while the bus is busy collides: both are destroyed. Faults per unit and bus noise are named
 * modes (docs/protocols.md, "What the simulator enforces"), decided by a seeded generator so runs repeat.
 */
import type { Clock } from '../../transport/clock';
import type { LineTiming } from '../../transport/line-timing';
import { sealRtu } from '../../modbus-crc';
import { seededRandom } from '../random';
import type { StoredClip } from '../terminal/clip-store';
import {
  decodeRequest,
  EXCEPTION,
  exceptionReply,
  FC_READ_HOLDING,
  FC_WRITE_MULTIPLE,
  readReply,
  writeReply,
} from './rtu-frames';

/** What a simulated unit does with register reads and writes. An exception code, or values / null for success. */
export interface ModbusDevice {
  readHolding(address: number, count: number, now: number): number[] | { exception: number };
  writeRegisters(address: number, values: number[], now: number, broadcast: boolean): { exception: number } | null;
  /** An FC16 request the bus refused before it reached the unit's registers (count or byte count wrong, §1). */
  writeRefused?(now: number): void;
  /** Time the unit spent on the last request beyond its turnaround (e.g. verifying a signature), ms. */
  extraTurnaroundMs?(): number;
  /** The unit's named fault changed (a terminal reboots when power returns, reports an open speaker line). */
  faultChanged?(fault: UnitFault, previous: UnitFault, now: number): void;
  /** The unit heard a frame whose CRC failed. */
  crcError?(): void;
  /** A request with a good CRC reached the unit (addressed to it or broadcast), before it is carried out. */
  heard?(now: number): void;
  /** The unit's own counters (a terminal: plays started, starts of a broadcast it had started before), summed per bus. */
  counters?(): Record<string, number>;
  /** Puts a clip in the unit's storage as installed (a terminal stocked before it reaches the line); false when it cannot hold it. */
  installClip?(clip: StoredClip): boolean;
  /** What the unit played, when (a terminal's play log: sound from `startAt` to `endAt`, ms on the bus clock). */
  /** `now`: bring the unit up to it first (plays it made by itself, PROTOCOL.md §9). */
  playLog?(now?: number): PlayRecord[];
  /** The signal quality the unit reports from now on (FM field strength or link quality, 0–100). */
  setSignalQuality?(quality: number): void;
  /** What plays switches to another source without a command (a local switch, a receiver fault). */
  switchSource?(source: PlayRecord['source'], now: number): void;
  /** The volume is turned on the unit itself (a local knob), without a command. */
  setVolume?(volume: number): void;
}

/** One play of a terminal as it sounded. */
export interface PlayRecord {
  /** PROTOCOL.md §3.1 handle of the broadcast, 0 none. */
  handle: number;
  source: 'none' | 'stored' | 'fm' | 'line-in' | 'ip' | 'tone';
  priority: number;
  startAt: number;
  /** null while it plays. */
  endAt: number | null;
  /** Played from the terminal's held schedule (terminal-modbus PROTOCOL.md §9), not commanded. */
  held?: boolean;
}

/**
 * Named unit faults (docs/protocols.md): dead (silent), slow (answers after slowFactor turnarounds), bad-crc, wrong-unit,
 * exception (device failure), no-reply (executes but never answers: the master times out), flapping (dead and alive
 * in turn), power-loss (silent; reboots when power returns), speaker-line-open (answers, reports the fault); and faults
 * only a self-test finds: speaker-line-short, amplifier-low, battery-low, mains-lost.
 */
export const UNIT_FAULTS = [
  'none',
  'dead',
  'slow',
  'bad-crc',
  'wrong-unit',
  'exception',
  'no-reply',
  'flapping',
  'power-loss',
  'speaker-line-open',
  // found only by a terminal's self-test (terminal-modbus PROTOCOL.md §3.3): the terminal answers as usual
  'speaker-line-short',
  'amplifier-low',
  'battery-low',
  'mains-lost',
] as const;
export type UnitFault = (typeof UNIT_FAULTS)[number];

/** Times on this bus's wire, in milliseconds: the line-timing model (device-drivers/transport/line-timing.ts). */
export type BusTiming = Pick<LineTiming, 'frameMs' | 'gapMs' | 'turnaroundMs' | 'broadcastDelayMs'>;

export interface VirtualBusOptions {
  timing: BusTiming;
  clock: Clock;
  /** Probability that a frame (request or reply) is corrupted on the wire (bus noise). */
  noise?: number;
  /** Probability that a request collides with a stray talker on the wire (collision mode). */
  strayTraffic?: number;
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
  /** Of `corrupted`: broadcasts, requests to a unit that would have answered, and replies. */
  corruptedBroadcasts: number;
  corruptedRequests: number;
  corruptedReplies: number;
}

type ReplySink = (frame: Buffer) => void;

/** A request as it went on the wire, for tests and tools that check timing against the model. */
export interface WireFrame {
  /** When the request began on the wire, ms on the bus clock. */
  at: number;
  unit: number;
  fc: number;
  bytes: number;
  outcome: 'reply' | 'unanswered' | 'broadcast' | 'collision' | 'corrupted';
  /** When the wire is free again after it: its reply ended, or its own frame and gap (and the broadcast delay). */
  freeAt: number;
}

export class VirtualBus {
  private readonly units = new Map<number, { device: ModbusDevice; fault: UnitFault }>();
  private busyUntil = 0;
  private inFlight: { cancel(): void } | null = null;
  private readonly watchers = new Set<(frame: WireFrame) => void>();
  readonly counters: BusCounters = {
    requests: 0,
    broadcasts: 0,
    replies: 0,
    collisions: 0,
    corrupted: 0,
    unanswered: 0,
    corruptedBroadcasts: 0,
    corruptedRequests: 0,
    corruptedReplies: 0,
  };

  private readonly random: () => number;

  constructor(private readonly opts: VirtualBusOptions) {
    this.random = opts.random ?? seededRandom(1);
  }

  attach(unit: number, device: ModbusDevice): void {
    this.units.set(unit, { device, fault: 'none' });
  }

  setFault(unit: number, fault: UnitFault): void {
    const u = this.units.get(unit);
    if (!u || u.fault === fault) return;
    const previous = u.fault;
    u.fault = fault;
    u.device.faultChanged?.(fault, previous, this.opts.clock.now());
  }

  /** Bus noise: the chance that any frame is corrupted. */
  setNoise(p: number): void {
    this.opts.noise = p;
  }

  /** Collision mode: the chance that a request meets a stray talker and both are destroyed. */
  setStrayTraffic(p: number): void {
    this.opts.strayTraffic = p;
  }

  /** See ModbusDevice.installClip; false for a unit that is not there or holds no clips. */
  installClip(unit: number, clip: StoredClip): boolean {
    return this.units.get(unit)?.device.installClip?.(clip) ?? false;
  }

  /** The device at a unit (simulator controls and benches), if one is attached. */
  device(unit: number): ModbusDevice | undefined {
    return this.units.get(unit)?.device;
  }

  fault(unit: number): UnitFault {
    return this.units.get(unit)?.fault ?? 'dead';
  }

  /** Every unit's own counters, summed. */
  deviceCounters(): Record<string, number> {
    const total: Record<string, number> = {};
    for (const { device } of this.units.values())
      for (const [k, v] of Object.entries(device.counters?.() ?? {})) total[k] = (total[k] ?? 0) + v;
    return total;
  }

  unitIds(): number[] {
    return [...this.units.keys()];
  }

  /** Calls `fn` with every request put on the wire; returns the function that stops it. */
  watch(fn: (frame: WireFrame) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
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
    const now = this.opts.clock.now();
    const outcome = this.put(frame, sink, now);
    if (this.watchers.size > 0) {
      const seen: WireFrame = {
        at: now,
        unit: frame[0],
        fc: frame[1],
        bytes: frame.length,
        outcome,
        freeAt: this.busyUntil,
      };
      for (const fn of this.watchers) fn(seen);
    }
    return outcome !== 'collision';
  }

  private put(frame: Buffer, sink: ReplySink, now: number): WireFrame['outcome'] {
    const { timing, clock } = this.opts;
    if (now < this.busyUntil) {
      this.counters.collisions += 1;
      this.inFlight?.cancel();
      this.inFlight = null;
      this.busyUntil = Math.max(this.busyUntil, now + timing.frameMs(frame.length) + timing.gapMs);
      return 'collision';
    }
    const requestEnd = now + timing.frameMs(frame.length) + timing.gapMs;
    this.busyUntil = requestEnd;
    if (this.chance(this.opts.strayTraffic)) {
      this.counters.collisions += 1;
      return 'collision'; // a stray talker: both frames destroyed, the master times out
    }
    if (this.chance(this.opts.noise)) {
      this.counters.corrupted += 1;
      const to = frame[0] === 0 ? null : this.units.get(frame[0]);
      if (to === null) this.counters.corruptedBroadcasts += 1;
      else if (to && this.alive(to.fault, now) && to.fault !== 'no-reply') this.counters.corruptedRequests += 1;
      for (const [, u] of this.units) if (this.alive(u.fault, now)) u.device.crcError?.();
      return 'corrupted'; // nobody recognises the frame; the master times out
    }
    const unit = frame[0];
    if (unit === 0) {
      this.counters.broadcasts += 1;
      for (const [, u] of this.units) if (this.alive(u.fault, now)) this.execute(0, u.device, frame, now);
      this.busyUntil = requestEnd + timing.broadcastDelayMs;
      return 'broadcast';
    }
    this.counters.requests += 1;
    const target = this.units.get(unit);
    if (!target || !this.alive(target.fault, now) || target.fault === 'no-reply') {
      if (target && target.fault === 'no-reply') this.execute(unit, target.device, frame, now);
      this.counters.unanswered += 1;
      return 'unanswered';
    }
    let reply = this.execute(unit, target.device, frame, now);
    reply = this.applyFault(target.fault, unit, reply, frame[1]);
    const turnaround =
      timing.turnaroundMs * (target.fault === 'slow' ? (this.opts.slowFactor ?? 5) : 1) +
      (target.device.extraTurnaroundMs?.() ?? 0);
    const replyStart = requestEnd + turnaround;
    const replyEnd = replyStart + timing.frameMs(reply.length) + timing.gapMs;
    this.busyUntil = replyEnd;
    if (this.chance(this.opts.noise)) {
      reply = Buffer.from(reply);
      reply[reply.length - 1] ^= 0x5a;
      this.counters.corrupted += 1;
      this.counters.corruptedReplies += 1;
    }
    const delivered = reply;
    this.inFlight = clock.setTimeout(() => {
      this.inFlight = null;
      // the wire is free once the reply is delivered, even if the timer fired a hair before the clock reads its end
      this.busyUntil = Math.min(this.busyUntil, clock.now());
      this.counters.replies += 1;
      sink(delivered);
    }, replyEnd - now); // a receiver knows a frame has ended after the 3.5-character silence
    return 'reply';
  }

  private alive(fault: UnitFault, now: number): boolean {
    if (fault === 'dead' || fault === 'power-loss') return false;
    if (fault === 'flapping') return Math.floor(now / (this.opts.flapPeriodMs ?? 10_000)) % 2 === 0;
    return true;
  }

  private chance(p: number | undefined): boolean {
    return (p ?? 0) > 0 && this.random() < (p ?? 0);
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
      case 'speaker-line-open':
      case 'speaker-line-short':
      case 'amplifier-low':
      case 'battery-low':
      case 'mains-lost':
        return reply;
    }
  }

  /**
   * The Modbus front of a unit, terminal-modbus PROTOCOL.md §1: FC03 and FC16 only (anything else: 0x01), FC03 count
   * 1–125 and FC16 count 1–123 with a byte count of twice the count (else 0x03), then the unit's own registers. A
   * broadcast of anything but FC16 is ignored. The reply of a broadcast is built but never sent.
   */
  private execute(unit: number, device: ModbusDevice, frame: Buffer, now: number): Buffer {
    const broadcast = unit === 0;
    const fc = frame[1];
    device.heard?.(now);
    if (fc === FC_READ_HOLDING) {
      if (broadcast) return Buffer.alloc(0);
      const count = frame.length === 8 ? frame.readUInt16BE(4) : 0;
      if (count < 1 || count > 125) return exceptionReply(unit, fc, EXCEPTION.illegalValue);
      const r = device.readHolding(frame.readUInt16BE(2), count, now);
      return Array.isArray(r) ? readReply(unit, r) : exceptionReply(unit, fc, r.exception);
    }
    if (fc !== FC_WRITE_MULTIPLE)
      return broadcast ? Buffer.alloc(0) : exceptionReply(unit, fc, EXCEPTION.illegalFunction);
    const req = frame.length >= 9 ? decodeRequest(frame) : null;
    if (
      !req ||
      !('byteCount' in req) ||
      req.count < 1 ||
      req.count > 123 ||
      req.byteCount !== 2 * req.count ||
      frame.length !== 9 + req.byteCount
    ) {
      device.writeRefused?.(now);
      return exceptionReply(unit, fc, EXCEPTION.illegalValue);
    }
    const r = device.writeRegisters(req.address, req.values, now, broadcast);
    if (r) return exceptionReply(unit, fc, r.exception);
    return writeReply(unit, fc, req.address, req.values.length);
  }
}
