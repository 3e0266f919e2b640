/**
 * The result line every benchmark prints last (docs/performance.md): measured time beside the line-rate bound of the same
 * workload and the naive baseline measured in the same run, plus extra figures.
 */

export interface BenchResult {
  scenario: string;
  measured_s: number;
  bound_s: number;
  ratio: number;
  baseline_s: number | null;
  speedup: number | null;
  [extra: string]: unknown;
}

const round = (v: number, digits = 3): number => Number(v.toFixed(digits));

export function benchResult(
  scenario: string,
  measuredS: number,
  boundS: number,
  baselineS: number | null,
  extra: Record<string, unknown> = {},
): BenchResult {
  return {
    scenario,
    measured_s: round(measuredS),
    bound_s: round(boundS),
    ratio: round(measuredS / boundS, 4),
    baseline_s: baselineS === null ? null : round(baselineS),
    speedup: baselineS === null ? null : round(baselineS / measuredS, 3),
    ...extra,
  };
}

/** Nearest-rank percentile of a sample (p in 0..100); null for an empty sample. */
export function percentile(sample: readonly number[], p: number): number | null {
  if (sample.length === 0) return null;
  const sorted = [...sample].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** The JSON line, always last on stdout; with --json nothing else is printed to stdout. */
export function resultLine(result: BenchResult): string {
  return JSON.stringify(result);
}
