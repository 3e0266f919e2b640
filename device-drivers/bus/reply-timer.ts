/**
 * How long to wait for a unit's reply on a link where the master decides (RTU over TCP, a serial port): a bus's reply
 * time learned as TCP learns its retransmission timer (RFC 6298: a smoothed mean SRTT and mean deviation RTTVAR, the
 * wait SRTT + 4·RTTVAR, doubled on each expiry), bounded below by the line model and above by the configured wait
 * (docs/protocols.md, "How long the driver waits for a reply").
 *
 * Transactions on one bus differ by an order of magnitude in wire time (an 8-byte read and its 45-byte reply take
 * 79 ms at 9,600 baud, a signed 147-byte command 195 ms), so what is learned is not the whole reply time but its excess
 * over the model: the transport's latency (TCP, a serial-device server's buffering, a USB adapter's latency timer, the
 * event loop) and a unit's time beyond its nominal turnaround. That time differs by what the unit is asked (checking a
 * signed command's signature takes a terminal far longer than reading its status), so it is learned per kind of
 * request — the caller's key, e.g. function code and register block; a kind not yet heard gets the configured wait.
 * The wait for one transaction is its modelled time plus
 * the learned excess and four deviations — never less than the model (the wire cannot answer sooner) nor more than the
 * configured wait (the gateway's request timeout plus the transaction's wire time, what the driver waited before it
 * learned anything). A unit that times out is waited for twice as long on its next request, up to the configured wait,
 * until it answers: a silent unit tells nothing about the others, and a unit slower than the rest still gets its answer
 * in. Pure: no timers, the caller measures.
 */
import type { LineTiming } from '../transport/line-timing';

/** RFC 6298 §2: α = 1/8, β = 1/4, K = 4. */
const ALPHA = 1 / 8;
const BETA = 1 / 4;
const K = 4;

export interface ReplyTimerOptions {
  /** The bus's line model: a transaction's frames, gaps and turnaround. */
  line: Pick<LineTiming, 'transactionMs'>;
  /** Added to a transaction's modelled time for the configured (longest) wait: the request timeout and a transport allowance. */
  configuredExtraMs: number;
  /** The transport's part of it: the most a broadcast's wait is lengthened by (transportAllowanceMs). */
  transportMarginMs: number;
  /**
   * RFC 6298's G: the least allowance above the learned mean, whatever the deviation (timers fire late; the event loop
   * stalls now and then). Default 10 ms.
   */
  granularityMs?: number;
}

/** What the timer has learned of one kind of request. */
export interface LearnedReplyTime {
  /** Smoothed excess of the reply time over the line model, ms. */
  srttMs: number;
  rttvarMs: number;
  samples: number;
}

/** What the timer has learned, for metrics and tests. */
export interface ReplyTimerState {
  /** By kind of request (the caller's key). */
  learned: Record<string, LearnedReplyTime>;
  /** Units whose last request timed out, with how many in a row. */
  timedOut: { unit: number; times: number }[];
}

/** Kinds of request remembered per bus (a Modbus terminal knows a handful); the oldest is forgotten beyond it. */
const MAX_KINDS = 32;

/** The wait chosen for one request, and why. */
export interface ReplyWait {
  ms: number;
  /** 'configured' before anything is learned, or when backing off reached it; 'learned' otherwise. */
  basis: 'learned' | 'configured';
}

export class ReplyTimer {
  private readonly kinds = new Map<string, LearnedReplyTime>();
  private readonly misses = new Map<number, number>();
  private readonly granularity: number;

  constructor(private readonly o: ReplyTimerOptions) {
    this.granularity = o.granularityMs ?? 10;
  }

  /** The wait for a request of kind `kind` and `requestBytes` to `unit` whose reply is `replyBytes` long, ms (whole). */
  waitFor(kind: string, unit: number, requestBytes: number, replyBytes: number): ReplyWait {
    const model = this.o.line.transactionMs(requestBytes, replyBytes);
    const configured = Math.ceil(model + this.o.configuredExtraMs);
    const k = this.kinds.get(kind);
    if (k === undefined) return { ms: configured, basis: 'configured' };
    const learned = model + k.srttMs + Math.max(this.granularity, K * k.rttvarMs);
    const backedOff = learned * 2 ** Math.min(16, this.misses.get(unit) ?? 0);
    const ms = Math.ceil(Math.max(model, Math.min(configured, backedOff)));
    return { ms, basis: ms >= configured ? 'configured' : 'learned' };
  }

  /**
   * `unit` answered a request of kind `kind` (a reply, or an exception: either came over the wire) `elapsedMs` after
   * it was written — also when the answer came only after its wait had passed (then the wait was too short).
   */
  answered(kind: string, unit: number, requestBytes: number, replyBytes: number, elapsedMs: number): void {
    this.misses.delete(unit);
    const excess = Math.max(0, elapsedMs - this.o.line.transactionMs(requestBytes, replyBytes));
    const k = this.kinds.get(kind);
    if (k === undefined) {
      // RFC 6298 §2.2: the first measurement R gives SRTT = R, RTTVAR = R/2
      this.kinds.set(kind, { srttMs: excess, rttvarMs: excess / 2, samples: 1 });
      if (this.kinds.size > MAX_KINDS) this.kinds.delete(this.kinds.keys().next().value as string);
      return;
    }
    // §2.3: RTTVAR first, with the SRTT before this sample
    k.rttvarMs = (1 - BETA) * k.rttvarMs + BETA * Math.abs(k.srttMs - excess);
    k.srttMs = (1 - ALPHA) * k.srttMs + ALPHA * excess;
    k.samples++;
  }

  /**
   * What a request may take beyond the line model on this link, at least: the smallest allowance learned over all
   * kinds of request (the one a unit answers without work of its own shows the transport alone), or the granularity
   * before anything is learned. A broadcast gets no answer, so nothing tells the master when it has left the wire: the
   * master waits this on top of its modelled time, lest its next request, sped up by the transport's jitter, reach the
   * bus while the broadcast is still on it or its units are still busy with it. At most the transport margin.
   */
  transportAllowanceMs(): number {
    let least = Infinity;
    for (const k of this.kinds.values()) least = Math.min(least, k.srttMs + Math.max(this.granularity, K * k.rttvarMs));
    // never more than the configured wait allows the transport: a broadcast's wait stays within its transaction's bound
    return Math.min(this.o.transportMarginMs, Number.isFinite(least) ? least : this.granularity);
  }

  /** No reply from `unit` within its wait: its next wait is doubled (§5.5), the bus's estimate is kept. */
  timedOut(unit: number): void {
    this.misses.set(unit, (this.misses.get(unit) ?? 0) + 1);
  }

  state(): ReplyTimerState {
    return {
      learned: Object.fromEntries([...this.kinds].map(([kind, k]) => [kind, { ...k }])),
      timedOut: [...this.misses].map(([unit, times]) => ({ unit, times })),
    };
  }
}
