/**
 * The pure part of `npm run bench -- province` (src/bench/province.ts): matching the volume changes the simulators
 * made (device-drivers/simulator/churn.ts) against the terminal states a `/live` client received, the percentiles of
 * the latencies, the buses no instance held at a health check, and an instance's memory from /proc.
 *
 * A state received on `/live` for terminal T with volume v, polled at p, comes from the latest change of T that set v
 * at or before p (and after the last change of T already matched): that change is seen exactly. A state with no such
 * change (the same volume sent again with another field's change, a snapshot) is not a change of the churn and is
 * ignored. A change is on the client once the client has a state of that change or a later one of the same terminal:
 * so a change overwritten before a poll read it counts until the state that replaced it arrived, which is the wait
 * for the terminal's next read as for any change (timing only the changes seen exactly would favour the quick ones).
 */
import { percentile } from '../../device-drivers/bench/report';
import { STATUS_REPLY_BYTES, STATUS_REQUEST_BYTES } from '../../device-drivers/bench/sweep';
import type { ShapeGateway } from '../../device-drivers/simulator/county-shape';
import { lineTimingOf } from '../../device-drivers/simulator/network';
import { heldGateways, type InstanceHealth } from './failover-measure';

/** The changes of the churn, by terminal id, in the order they were made. */
export type MadeChanges = Map<number, { at: number[]; volume: number[] }>;

/** Adds one change (made at wall-clock `at`, ms) of a terminal; changes of one terminal must come in time order. */
export function addMade(made: MadeChanges, terminalId: number, at: number, volume: number): void {
  let t = made.get(terminalId);
  if (!t) made.set(terminalId, (t = { at: [], volume: [] }));
  t.at.push(at);
  t.volume.push(volume);
}

/** A terminal state a `/live` client received. */
export interface SeenState {
  terminalId: number;
  gatewayId?: number;
  volume: number;
  /** when the controller read it (the state's `at`) */
  polledAt: number;
  receivedAt: number;
  /** the class of the route it came by (e.g. `local`, `redis`), for latencies by route */
  route?: string;
}

export interface Window {
  from: number;
  to: number;
}

export interface MatchResult {
  /** changes made in the window */
  made: number;
  /** …seen on `/live` exactly */
  seen: number;
  /** …never seen themselves, a later change of the same terminal seen instead */
  overwritten: number;
  /** …not on the client at all: no state of theirs or later arrived */
  unseen: number;
  /** per change on the client, ms: change → client, change → poll, poll → client */
  toClient: number[];
  toPoll: number[];
  pollToClient: number[];
  /** change → client by route */
  toClientByRoute: Record<string, number[]>;
}

/** One state received, matched to change `index` of its terminal. */
interface Match {
  index: number;
  state: SeenState;
}

/** Matches the states received against the changes made; latencies of the changes made inside `window`. */
export function matchChanges(made: MadeChanges, seen: readonly SeenState[], window: Window): MatchResult {
  const r: MatchResult = {
    made: 0,
    seen: 0,
    overwritten: 0,
    unseen: 0,
    toClient: [],
    toPoll: [],
    pollToClient: [],
    toClientByRoute: {},
  };
  // per terminal, in the order received; the indexes grow (a match never goes back before an earlier one)
  const matches = new Map<number, Match[]>();
  for (const s of [...seen].sort((a, b) => a.receivedAt - b.receivedAt)) {
    const t = made.get(s.terminalId);
    if (!t) continue;
    const list = matches.get(s.terminalId) ?? [];
    const first = list.length === 0 ? 0 : list[list.length - 1].index + 1;
    let j = upperBound(t.at, s.polledAt) - 1;
    while (j >= first && t.volume[j] !== s.volume) j--;
    if (j < first) continue;
    list.push({ index: j, state: s });
    matches.set(s.terminalId, list);
  }
  for (const [id, t] of made) {
    const list = matches.get(id) ?? [];
    let k = 0; // the first match at or after change i
    for (let i = 0; i < t.at.length; i++) {
      while (k < list.length && list[k].index < i) k++;
      const at = t.at[i];
      if (at < window.from || at >= window.to) continue;
      r.made++;
      if (k === list.length) {
        r.unseen++;
        continue;
      }
      const { index, state } = list[k];
      if (index === i) r.seen++;
      else r.overwritten++;
      const toClient = state.receivedAt - at;
      r.toClient.push(toClient);
      r.toPoll.push(state.polledAt - at);
      r.pollToClient.push(state.receivedAt - state.polledAt);
      if (state.route) (r.toClientByRoute[state.route] ??= []).push(toClient);
    }
  }
  return r;
}

/** The number of values of the ascending `sorted` that are ≤ `x`. */
function upperBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** p50, p99 and the largest of a sample, ms to one decimal; nulls for an empty sample. */
export function latencySummary(ms: readonly number[]): { p50: number | null; p99: number | null; max: number | null } {
  const round = (v: number | null): number | null => (v === null ? null : Number(v.toFixed(1)));
  return { p50: round(percentile(ms, 50)), p99: round(percentile(ms, 99)), max: round(percentile(ms, 100)) };
}

/**
 * Buses of `all` held by no instance and by more than one at one health check; null when an instance did not answer
 * (what it holds is not known then).
 */
export function busHolding(
  all: readonly number[],
  healths: readonly (InstanceHealth | null)[],
): { unheld: number; heldTwice: number } | null {
  if (healths.some((h) => h === null)) return null;
  const count = new Map<number, number>();
  for (const h of healths) for (const g of heldGateways(h)) count.set(g, (count.get(g) ?? 0) + 1);
  return {
    unheld: all.filter((g) => !count.has(g)).length,
    heldTwice: [...count.values()].filter((n) => n > 1).length,
  };
}

/** VmRSS of a /proc/<pid>/status text, MiB; null when absent (the process is gone). */
export function vmRssMb(status: string): number | null {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Math.round(Number(m[1]) / 1024) : null;
}

/** User + system CPU time of a /proc/<pid>/stat text, in clock ticks; null when unreadable. */
export function cpuTicks(stat: string): number | null {
  // the command name (field 2) is in parentheses and may hold spaces: count fields after its closing one
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
}

/**
 * The least p99 of change → client that polling allows, ms. A change waits for its terminal's next status read, which
 * comes once per cycle of its bus: at least every live unit's status transaction at line rate plus the server's pause
 * between sweeps (`pauseMs`), so the wait is uniform over a cycle, plus the read itself; then it waits for the client's
 * next batch, uniform over `batchMs` (four a second). Each live terminal changes alike, so the changes of a bus weigh
 * as its live units; the p99 of that mixture is the bound. No timeout, no dead unit, no event-loop delay counts.
 */
export function liveP99BoundMs(
  buses: readonly { gateway: ShapeGateway; liveUnits: number }[],
  pauseMs: number,
  batchMs = 250,
): number {
  const h = (t: number): number => (t > 0 ? (t * t) / 2 : 0);
  const parts = buses
    .filter((b) => b.liveUnits > 0)
    .map(({ gateway, liveUnits }) => {
      const tx = lineTimingOf(gateway).transactionMs(STATUS_REQUEST_BYTES, STATUS_REPLY_BYTES);
      return { weight: liveUnits, tx, cycle: liveUnits * tx + pauseMs };
    });
  const total = parts.reduce((n, p) => n + p.weight, 0);
  if (total === 0) return NaN;
  // P(U(0, c) + U(0, w) ≤ y): the part of the c × w rectangle under a + b = y
  const cdf = (y: number): number =>
    parts.reduce((sum, { weight, tx, cycle: c }) => {
      const t = y - tx;
      const area = h(t) - h(t - c) - h(t - batchMs) + h(t - c - batchMs);
      return sum + (weight * Math.min(1, area / (c * batchMs))) / total;
    }, 0);
  let lo = 0;
  let hi = Math.max(...parts.map((p) => p.tx + p.cycle)) + batchMs;
  while (hi - lo > 0.01) {
    const mid = (lo + hi) / 2;
    if (cdf(mid) < 0.99) lo = mid;
    else hi = mid;
  }
  return hi;
}

/**
 * From an instance's JSON log, the lines timed inside [from, to): leases lost (`lease lost`, src/field/field-buses.ts)
 * and status changes a lease fence refused (`N status changes of bus:… not written`, src/monitoring/status-writer.ts).
 */
export function logFigures(log: string, from: number, to: number): { leasesLost: number; statusRefused: number } {
  const r = { leasesLost: 0, statusRefused: 0 };
  for (const line of log.split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { time?: number; msg?: string };
    try {
      entry = JSON.parse(line) as { time?: number; msg?: string };
    } catch {
      continue;
    }
    if (entry.time === undefined || entry.time < from || entry.time >= to || !entry.msg) continue;
    if (entry.msg.includes('lease lost')) r.leasesLost++;
    const refused = /^(\d+) status changes of bus:\d+ not written/.exec(entry.msg);
    if (refused) r.statusRefused += Number(refused[1]);
  }
  return r;
}

/** One instance's gap between two successive heartbeats (the start of its lease renewals), ms. */
export interface HeartbeatGap {
  id: string;
  /** the later heartbeat, ms since epoch */
  at: number;
  ms: number;
}

/** Per instance, the gaps of heartbeats inside [from, to): median, largest, and how many exceeded `limitMs`. */
export function gapSummary(
  gaps: readonly HeartbeatGap[],
  from: number,
  to: number,
  limitMs: number,
): Record<string, { p50: number | null; max: number | null; over: number }> {
  const by: Record<string, number[]> = {};
  for (const g of gaps) if (g.at >= from && g.at < to) (by[g.id] ??= []).push(g.ms);
  return Object.fromEntries(
    Object.entries(by).map(([id, ms]) => [
      id,
      { p50: percentile(ms, 50), max: percentile(ms, 100), over: ms.filter((m) => m > limitMs).length },
    ]),
  );
}
