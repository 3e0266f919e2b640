/**
 * The line-timing model of a serial bus (docs/protocols.md, "The line-timing model"): how long the wire takes for a frame, the Modbus RTU
 * silence between frames, a unit's turnaround and the bus's delay after a broadcast. One model serves three uses:
 * the simulator delays replies by it, the bus scheduler can budget with it, and benchmarks print the lower bound of a
 * workload (the sum of its unavoidable frame, gap and turnaround times) beside what they measured.
 * All durations are milliseconds.
 */

export type Parity = 'none' | 'even' | 'odd';

export interface LineSettings {
  baud: number;
  dataBits?: 7 | 8;
  parity?: Parity;
  stopBits?: 1 | 2;
  /** How long a unit takes between the end of a request and the start of its reply. */
  turnaroundMs: number;
  /** How long the master waits after a broadcast (unit 0, no reply) before the next request. */
  broadcastDelayMs: number;
}

/** Above this rate Modbus RTU fixes the inter-frame silence at 1.75 ms instead of 3.5 characters. */
export const FIXED_GAP_ABOVE_BAUD = 19_200;
export const FIXED_GAP_MS = 1.75;

/** Bits on the wire per character: 1 start + data + parity (0 or 1) + stop. 8E1 and 8N2 → 11, 8N1 → 10. */
export function bitsPerCharacter(dataBits: 7 | 8 = 8, parity: Parity = 'even', stopBits: 1 | 2 = 1): number {
  return 1 + dataBits + (parity === 'none' ? 0 : 1) + stopBits;
}

export class LineTiming {
  readonly bitsPerChar: number;
  /** Time of one character on the wire. */
  readonly charMs: number;
  /** Modbus RTU inter-frame silence: 3.5 characters, or 1.75 ms fixed above 19,200 baud. */
  readonly gapMs: number;
  readonly turnaroundMs: number;
  readonly broadcastDelayMs: number;

  constructor(readonly settings: LineSettings) {
    if (!(settings.baud > 0)) throw new RangeError(`line timing: baud must be positive, got ${settings.baud}`);
    if (!(settings.turnaroundMs >= 0))
      throw new RangeError(`line timing: turnaroundMs must be ≥ 0, got ${settings.turnaroundMs}`);
    if (!(settings.broadcastDelayMs >= 0))
      throw new RangeError(`line timing: broadcastDelayMs must be ≥ 0, got ${settings.broadcastDelayMs}`);
    this.bitsPerChar = bitsPerCharacter(settings.dataBits, settings.parity, settings.stopBits);
    this.charMs = (this.bitsPerChar * 1000) / settings.baud;
    this.gapMs = settings.baud > FIXED_GAP_ABOVE_BAUD ? FIXED_GAP_MS : 3.5 * this.charMs;
    this.turnaroundMs = settings.turnaroundMs;
    this.broadcastDelayMs = settings.broadcastDelayMs;
  }

  /** n bytes × bits per character / baud. */
  frameMs(bytes: number): number {
    return bytes * this.charMs;
  }

  /** A unicast request and its reply: request frame + gap + turnaround + reply frame + gap. */
  transactionMs(requestBytes: number, replyBytes: number): number {
    return this.frameMs(requestBytes) + this.gapMs + this.turnaroundMs + this.frameMs(replyBytes) + this.gapMs;
  }

  /** A broadcast (unit 0, no reply): frame + gap + broadcast delay. */
  broadcastMs(requestBytes: number): number {
    return this.frameMs(requestBytes) + this.gapMs + this.broadcastDelayMs;
  }

  /** A unicast request whose reply never comes: only the request frame and its gap are forced by the wire. */
  unansweredMs(requestBytes: number): number {
    return this.frameMs(requestBytes) + this.gapMs;
  }
}

/** The reference county's buses (docs/performance.md): 9,600 baud 8E1, turnaround 10 ms, broadcast delay 50 ms. */
export const REFERENCE_BUS: LineSettings = {
  baud: 9600,
  dataBits: 8,
  parity: 'even',
  stopBits: 1,
  turnaroundMs: 10,
  broadcastDelayMs: 50,
};

/**
 * Sums the unavoidable wire time of a workload on one bus: what benchmarks print as `bound_s`. Counts only what the wire
 * forces (docs/performance.md): frames, gaps, turnarounds and broadcast delays — never timeouts.
 */
export class Bound {
  private totalMs = 0;
  readonly counts = { transactions: 0, broadcasts: 0, unanswered: 0 };

  constructor(readonly timing: LineTiming) {}

  transaction(requestBytes: number, replyBytes: number, times = 1): this {
    this.totalMs += times * this.timing.transactionMs(requestBytes, replyBytes);
    this.counts.transactions += times;
    return this;
  }

  broadcast(requestBytes: number, times = 1): this {
    this.totalMs += times * this.timing.broadcastMs(requestBytes);
    this.counts.broadcasts += times;
    return this;
  }

  unanswered(requestBytes: number, times = 1): this {
    this.totalMs += times * this.timing.unansweredMs(requestBytes);
    this.counts.unanswered += times;
    return this;
  }

  get ms(): number {
    return this.totalMs;
  }

  get seconds(): number {
    return this.totalMs / 1000;
  }
}

/** Several buses run in parallel: the whole workload's bound is its slowest bus's bound. */
export function parallelBoundMs(bounds: readonly Bound[]): number {
  return bounds.reduce((m, b) => Math.max(m, b.ms), 0);
}
