/**
 * The pure part of `npm run bench -- failover` (src/bench/failover.ts): reading the instances' `/health` cluster
 * entries, choosing the instance to kill, and deciding from samples when every orphaned bus is polled again by a
 * survivor.
 *
 * A bus counts as taken over at the first sample where (1) a survivor's `/health` lists its lease and (2) the
 * simulated gateway of that bus has answered a request since a sample that already showed the survivor holding it.
 * The victim cannot have caused (2): killed, its sockets are closed; paused, the gateway had finished whatever it
 * had queued seconds before the lease could lapse. So (2) is a status read of the bus answered to the new holder.
 */

export const BUS_PREFIX = 'bus:';

/** `/health`'s `cluster` entry (src/health/health.controller.ts). */
export interface InstanceHealth {
  status: 'up' | 'down';
  instanceId: string;
  buses: { key: string; epoch: number | null }[];
  singletons?: { key: string; epoch: number | null }[];
  peers?: { id: string }[];
}

/** Gateway ids of the buses an instance holds. */
export function heldGateways(h: InstanceHealth | null): number[] {
  return (h?.buses ?? []).flatMap((b) =>
    b.key.startsWith(BUS_PREFIX) ? [Number(b.key.slice(BUS_PREFIX.length))] : [],
  );
}

/** The instance holding the most buses (ties: the first id in alphabetical order); null when nobody holds one. */
export function chooseVictim(healths: ReadonlyMap<string, InstanceHealth | null>): string | null {
  let best: string | null = null;
  let most = 0;
  for (const id of [...healths.keys()].sort()) {
    const n = heldGateways(healths.get(id) ?? null).length;
    if (n > most) [best, most] = [id, n];
  }
  return best;
}

/** Every bus in `all` is held by exactly one of the instances (none twice, none unheld). */
export function everyBusHeldOnce(all: readonly number[], healths: Iterable<InstanceHealth | null>): boolean {
  const count = new Map<number, number>();
  for (const h of healths) for (const g of heldGateways(h)) count.set(g, (count.get(g) ?? 0) + 1);
  return all.every((g) => count.get(g) === 1) && count.size === all.length;
}

/** Gateway ids listed by more than one of the instances at once. */
export function heldTwice(healths: Iterable<InstanceHealth | null>): number[] {
  const seen = new Set<number>();
  const twice = new Set<number>();
  for (const h of healths)
    for (const g of heldGateways(h)) {
      if (seen.has(g)) twice.add(g);
      seen.add(g);
    }
  return [...twice].sort((a, b) => a - b);
}

export interface Sample {
  /** ms on the bench's clock */
  at: number;
  /** the survivors' `/health` cluster entries (null: no answer) */
  survivors: (InstanceHealth | null)[];
  /** answered requests so far, by gateway id (the simulator's bus counters) */
  replies: ReadonlyMap<number, number>;
}

interface BusProgress {
  /** replies counted at the first sample showing a survivor holding it */
  repliesAtGain: number | null;
  gainedAt: number | null;
  polledAt: number | null;
}

/** Follows the orphaned buses from the kill until a survivor holds and has polled each one. */
export class TakeoverTracker {
  private readonly buses = new Map<number, BusProgress>();

  constructor(
    readonly killedAt: number,
    orphaned: readonly number[],
  ) {
    for (const g of orphaned) this.buses.set(g, { repliesAtGain: null, gainedAt: null, polledAt: null });
  }

  add(s: Sample): void {
    const held = new Set(s.survivors.flatMap(heldGateways));
    for (const [g, p] of this.buses) {
      if (p.polledAt !== null) continue;
      const replies = s.replies.get(g) ?? 0;
      if (p.repliesAtGain === null) {
        if (held.has(g)) [p.repliesAtGain, p.gainedAt] = [replies, s.at];
      } else if (replies > p.repliesAtGain) p.polledAt = s.at;
    }
  }

  get done(): boolean {
    return [...this.buses.values()].every((p) => p.polledAt !== null);
  }

  /** Buses not polled again yet. */
  pending(): number[] {
    return [...this.buses].flatMap(([g, p]) => (p.polledAt === null ? [g] : []));
  }

  /** Seconds from the kill: until the last orphaned bus was held by a survivor, and until it was polled. */
  result(): { held_s: number | null; polled_s: number | null } {
    const last = (k: 'gainedAt' | 'polledAt'): number | null => {
      const times = [...this.buses.values()].map((p) => p[k]);
      if (times.some((t) => t === null)) return null;
      return (Math.max(...(times as number[])) - this.killedAt) / 1000;
    };
    return { held_s: last('gainedAt'), polled_s: last('polledAt') };
  }
}

/**
 * Deliveries by state, and their reasons with numbers and parentheses masked (`bus:# (…) is driven by instance ctl-b
 * …`), the most frequent first, at most `top` of them.
 */
export function deliverySummary(
  items: readonly { state: string; reason: string | null }[],
  top = 6,
): {
  states: Record<string, number>;
  reasons: Record<string, number>;
} {
  const states: Record<string, number> = {};
  const reasons: Record<string, number> = {};
  for (const d of items) {
    states[d.state] = (states[d.state] ?? 0) + 1;
    if (d.reason) {
      const r = d.reason.replace(/\([^)]*\)/g, '(…)').replace(/\d+/g, '#');
      reasons[r] = (reasons[r] ?? 0) + 1;
    }
  }
  const frequent = Object.entries(reasons)
    .sort(([, a], [, b]) => b - a)
    .slice(0, top);
  return { states, reasons: Object.fromEntries(frequent) };
}

/** The simulator's Modbus TCP connections by gateway index (device-drivers/simulator/modbus/gateways.ts). */
export type Connections = readonly (readonly { id: number; requests: number; open: boolean }[])[];

/** The connections open now on the given gateways, as [gateway index, connection id]. */
export function openConnections(c: Connections, gateways: readonly number[]): [number, number][] {
  return gateways.flatMap((g) => (c[g] ?? []).filter((x) => x.open).map((x): [number, number] => [g, x.id]));
}

/** Requests the `watched` connections sent between two snapshots (a connection gone from `after` sent none). */
export function requestsBetween(before: Connections, after: Connections, watched: readonly [number, number][]): number {
  const count = (c: Connections, [g, id]: [number, number]) => c[g]?.find((x) => x.id === id)?.requests ?? 0;
  return watched.reduce((n, w) => n + Math.max(0, count(after, w) - count(before, w)), 0);
}
