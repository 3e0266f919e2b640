/**
 * What an ideal master would measure for `alert-tone` on the same buses and the same noise (docs/performance.md, "What
 * noise alone costs"): the line-timing model, every frame lost with probability `noise`, and each loss costing what the
 * wire and the link force and nothing more — no CPU, no queueing, dead units read after every live one. Drawn many
 * times (seeded), it says how often the goal can be met at all; the bench prints it beside the measured ratio.
 */
import type { BusTarget } from '../../device-drivers/bench/sweep';
import type { BusCounters } from '../../device-drivers/simulator/modbus/virtual-bus';
import type { LineTiming } from '../../device-drivers/transport/line-timing';
import { seededRandom } from '../../device-drivers/simulator/random';

export interface IdealBus {
  timing: LineTiming;
  live: number;
  dead: number;
  /**
   * What a lost request costs before the read can go again: a Modbus TCP gateway's own timeout after the request's
   * frame (ms); null where the master times the reply itself (serial, RTU over TCP), where an ideal master waits
   * exactly the read's time.
   */
  gatewayTimeoutMs: number | null;
}

export interface IdealFrames {
  /** The start, broadcast (bytes on the wire). */
  commandBytes: number;
  /** A status read: request and reply bytes. */
  requestBytes: number;
  replyBytes: number;
}

/** Frames a run lost on one bus: starts, requests to units that would have answered, and replies. */
export interface BusLosses {
  broadcasts: number;
  requests: number;
  replies: number;
}

/** What each loss costs an ideal master, the loss-free frames, and the bound, ms. */
function costs(bus: IdealBus, f: IdealFrames) {
  const t = bus.timing;
  const broadcast = t.broadcastMs(f.commandBytes);
  const read = t.transactionMs(f.requestBytes, f.replyBytes);
  return {
    broadcast,
    read,
    // a lost start is seen by the first read, which shows the terminal idle; the start goes again
    lostBroadcast: read + broadcast,
    lostRequest: bus.gatewayTimeoutMs === null ? read : t.frameMs(f.requestBytes) + t.gapMs + bus.gatewayTimeoutMs,
    // a corrupted reply is known when its frame has ended (bad CRC; a gateway answers 0x0B at once)
    lostReply: read,
    bound: broadcast + bus.live * read + bus.dead * t.unansweredMs(f.requestBytes),
  };
}

/** An ideal master's time on a bus that lost these frames (a run's own losses, from the simulator's counters), ms. */
export function idealWithLosses(bus: IdealBus, f: IdealFrames, lost: BusLosses): number {
  const c = costs(bus, f);
  return (
    c.broadcast +
    bus.live * c.read +
    lost.broadcasts * c.lostBroadcast +
    lost.requests * c.lostRequest +
    lost.replies * c.lostReply
  );
}

/** The bus's bound (what the wire forces: bench `alertBound` for a tone) and one draw of its ideal time, ms. */
export function idealBusMs(
  bus: IdealBus,
  f: IdealFrames,
  noise: number,
  random: () => number,
): { bound: number; ideal: number } {
  const lost = () => random() < noise;
  const n: BusLosses = { broadcasts: 0, requests: 0, replies: 0 };
  if (bus.live > 0) while (lost()) n.broadcasts++;
  for (let u = 0; u < bus.live; u++) {
    for (;;) {
      if (lost()) {
        n.requests++;
        continue;
      }
      if (!lost()) break;
      n.replies++;
    }
  }
  return { bound: costs(bus, f).bound, ideal: idealWithLosses(bus, f, n) };
}

/**
 * `draws` ideal runs over all buses in parallel: each run's ratio is its slowest bus's ideal time over the slowest
 * bus's bound, as the bench's `ratio` is measured over bound. Sorted ascending.
 */
export function idealToneRatios(
  buses: readonly IdealBus[],
  f: IdealFrames,
  noise: number,
  draws: number,
  seed: number,
): number[] {
  const random = seededRandom(seed);
  const ratios: number[] = [];
  for (let d = 0; d < draws; d++) {
    let bound = 0;
    let ideal = 0;
    for (const b of buses) {
      const x = idealBusMs(b, f, noise, random);
      bound = Math.max(bound, x.bound);
      ideal = Math.max(ideal, x.ideal);
    }
    ratios.push(bound > 0 ? ideal / bound : 1);
  }
  return ratios.sort((a, b) => a - b);
}

/** The figures the bench prints: the ideal ratio's median and 90th percentile, and how often it is within `goal`. */
export function idealToneFigures(
  ratios: readonly number[],
  goal: number,
): { ideal_ratio_p50: number; ideal_ratio_p90: number; ideal_within_goal_percent: number } {
  const at = (p: number) => ratios[Math.min(ratios.length - 1, Math.floor((p / 100) * ratios.length))] ?? 1;
  const within = ratios.filter((r) => r <= goal).length;
  return {
    ideal_ratio_p50: Number(at(50).toFixed(3)),
    ideal_ratio_p90: Number(at(90).toFixed(3)),
    ideal_within_goal_percent: Number(((100 * within) / Math.max(1, ratios.length)).toFixed(1)),
  };
}

/**
 * The bench's figures of an ideal master (src/bench/dispatch.ts, alert-tone): on the run's own losses (`ideal_s`;
 * counted from `before` to `after`, the simulator's bus counters), and over 1,000 draws of the same noise.
 */
export function idealToneFields(x: {
  targets: BusTarget[];
  deadOf: (i: number) => Set<number>;
  transport: 'modbus-tcp' | 'rtu-over-tcp';
  noise: number;
  seed: number;
  frames: IdealFrames;
  goal: number;
  before: BusCounters[];
  after: BusCounters[];
}): Record<string, number> {
  const buses = x.targets.map((t, i) => ({
    timing: t.timing,
    live: t.units.length - x.deadOf(i).size,
    dead: x.deadOf(i).size,
    gatewayTimeoutMs: x.transport === 'modbus-tcp' ? t.gateway.requestTimeoutMs : null,
  }));
  const lost = (i: number, k: 'corruptedBroadcasts' | 'corruptedRequests' | 'corruptedReplies') =>
    (x.after[i]?.[k] ?? 0) - (x.before[i]?.[k] ?? 0);
  const idealMs = Math.max(
    ...buses.map((b, i) =>
      idealWithLosses(b, x.frames, {
        broadcasts: lost(i, 'corruptedBroadcasts'),
        requests: lost(i, 'corruptedRequests'),
        replies: lost(i, 'corruptedReplies'),
      }),
    ),
  );
  return {
    ideal_s: Number((idealMs / 1000).toFixed(3)),
    ...idealToneFigures(idealToneRatios(buses, x.frames, x.noise, 1000, x.seed), x.goal),
  };
}
