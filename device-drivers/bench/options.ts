/**
 * Command line of `npm run bench -- <scenario> [options]` (docs/performance.md). Pure: parses argv into a typed plan, or
 * throws naming the option that is wrong.
 */

export const SCENARIOS = ['sweep', 'long-bus', 'preempt'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface BenchOptions {
  scenario: Scenario;
  /** Print only the result object, as stdout's last line. */
  json: boolean;
  /** Consecutive full status sweeps. */
  sweeps: number;
  /** Emergency commands sent while the buses poll (`preempt`). */
  emergencies: number;
  seed: number;
  /** Fraction of terminals dead from the start. */
  deadFraction: number;
  /** Probability that a frame is corrupted on the wire. */
  noise: number;
  /** Skip the naive baseline (its figures are then null). */
  baseline: boolean;
  /** The whole bench stops by itself after this long, whatever happened. */
  timeLimitS: number;
}

const DEFAULTS: Record<Scenario, Omit<BenchOptions, 'scenario' | 'json'>> = {
  sweep: { sweeps: 10, emergencies: 0, seed: 1, deadFraction: 0.05, noise: 0.01, baseline: true, timeLimitS: 240 },
  // 247 units × ~79 ms: one sweep of the long bus is ~20 s of wire, so three sweeps keep the run (and its baseline) short.
  'long-bus': { sweeps: 3, emergencies: 0, seed: 1, deadFraction: 0.05, noise: 0.01, baseline: true, timeLimitS: 300 },
  // two emergencies for each of the county's 280 buses, arriving one after another at random points of the sweeps
  preempt: { sweeps: 0, emergencies: 560, seed: 1, deadFraction: 0.05, noise: 0.01, baseline: true, timeLimitS: 240 },
};

export const USAGE = `usage: npm run bench -- <${SCENARIOS.join('|')}> [--json] [--sweeps n] [--emergencies n] [--seed n] [--dead f] [--noise f] [--no-baseline] [--time-limit s]`;

function number(flag: string, raw: string | undefined, min: number, max: number, integer: boolean): number {
  const v = raw === undefined ? NaN : Number(raw);
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw new RangeError(
      `${flag}: expected ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${raw ?? 'nothing'}`,
    );
  }
  return v;
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const scenario = argv[0];
  if (!(SCENARIOS as readonly string[]).includes(scenario ?? '')) {
    throw new RangeError(`scenario: expected one of ${SCENARIOS.join(', ')}, got ${scenario ?? 'nothing'}\n${USAGE}`);
  }
  const s = scenario as Scenario;
  const o: BenchOptions = { scenario: s, json: false, ...DEFAULTS[s] };
  for (let i = 1; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--json':
        o.json = true;
        break;
      case '--no-baseline':
        o.baseline = false;
        break;
      case '--sweeps':
        o.sweeps = number(flag, argv[++i], 1, 1000, true);
        break;
      case '--emergencies':
        o.emergencies = number(flag, argv[++i], 1, 100_000, true);
        break;
      case '--seed':
        o.seed = number(flag, argv[++i], 0, 2 ** 31, true);
        break;
      case '--dead':
        o.deadFraction = number(flag, argv[++i], 0, 1, false);
        break;
      case '--noise':
        o.noise = number(flag, argv[++i], 0, 0.5, false);
        break;
      case '--time-limit':
        o.timeLimitS = number(flag, argv[++i], 1, 3600, false);
        break;
      default:
        throw new RangeError(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return o;
}
