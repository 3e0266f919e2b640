/**
 * BENCH_DEBUG=1 for `npm run bench -- alert-tone | alert-clip` (src/bench/dispatch.ts): each bus's requests as they
 * went, and a report of the slowest transfers, verifications and buses.
 */
import { performance } from 'node:perf_hooks';
import type { StartOutcome } from '../dispatch/bus-plan';

/** BENCH_DEBUG: each bus's requests as they went, ms from the timed start (what the slowest bus spent its time on). */
interface TraceEntry {
  op: string;
  unit: number | 'all';
  at: number;
  took: number;
  outcome: string;
}
const traces = new Map<string, TraceEntry[]>();
let traceT0 = 0;

/** The timed start: traces count from `t0` (performance.now()), afresh. */
export function startTrace(t0: number): void {
  traceT0 = t0;
  traces.clear();
}

export async function traced<T>(busId: string, op: string, unit: number | 'all', fn: () => Promise<T>): Promise<T> {
  if (!process.env.BENCH_DEBUG) return fn();
  const at = performance.now() - traceT0;
  const note = (outcome: string): void => {
    const list = traces.get(busId) ?? [];
    list.push({ op, unit, at: Math.round(at), took: Math.round(performance.now() - traceT0 - at), outcome });
    traces.set(busId, list);
  };
  try {
    const v = await fn();
    note('ok');
    return v;
  } catch (e) {
    note((e as { kind?: string }).kind ?? 'error');
    throw e;
  }
}

/** BENCH_DEBUG=1: the slowest transfers and verifications, and the transfers that failed. */
export function debugReport(
  say: (l: string) => void,
  transferS: { bus: number; s: number; bound: number }[],
  transferFailed: string[],
  verifiedAt: number[],
  outcomes: StartOutcome[],
): void {
  if (transferS.length > 0)
    say(
      `slowest transfers (s, bound): ${transferS
        .sort((a, b) => b.s - a.s)
        .slice(0, 8)
        .map((x) => `bus ${x.bus} ${x.s.toFixed(2)} (${x.bound.toFixed(2)})`)
        .join(', ')}`,
    );
  if (transferFailed.length > 0) say(`transfers failed: ${transferFailed.join('; ')}`);
  say(
    `slowest verifications (s): ${[...verifiedAt]
      .sort((a, b) => b - a)
      .slice(0, 12)
      .map((v) => (v / 1000).toFixed(2))
      .join(' ')}; by bus: ${JSON.stringify(
      outcomes
        .map((x, i) => ({ i, r: x.reads, s: x.sent, f: x.failed.length, u: x.unreachable.length }))
        .filter((x) => x.s.unicast > 0)
        .slice(0, 8),
    )}`,
  );
  // the buses whose last terminal was verified latest: what they spent their time on
  const last = (l: TraceEntry[]): number =>
    Math.max(...l.filter((e) => e.op === 'status' && e.outcome === 'ok').map((e) => e.at + e.took));
  for (const [busId, list] of [...traces].sort((a, b) => last(b[1]) - last(a[1])).slice(0, 3))
    say(
      `${busId}: ${list
        .sort((a, b) => a.at - b.at)
        .map((e) => `${e.at}+${e.took} ${e.op} ${e.unit}${e.outcome === 'ok' ? '' : ` ${e.outcome}`}`)
        .join(', ')}`,
    );
}
