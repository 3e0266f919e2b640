/** The command line of `npm run bench -- province` (src/bench/province.ts, docs/performance.md "Province"). */

export interface Options {
  json: boolean;
  terminals: number;
  ratePerS: number;
  seconds: number;
  warmupS: number;
  drainS: number;
  seed: number;
  dead: number;
  noise: number;
  simProcesses: number | null;
  settleTimeoutS: number;
  timeLimitS: number;
}

export const USAGE =
  'usage: npm run bench -- province [--json] [--terminals n] [--rate n] [--seconds n] [--warmup n] [--drain n] ' +
  '[--seed n] [--dead f] [--noise f] [--sim-processes n] [--settle-timeout s] [--time-limit s]';

export function parseProvinceArgs(argv: string[]): Options {
  const o: Options = {
    json: false,
    terminals: 100_000,
    ratePerS: 10_000,
    seconds: 30,
    warmupS: 10,
    drainS: 15,
    seed: 1,
    dead: 0.05,
    noise: 0.01,
    simProcesses: null,
    settleTimeoutS: 600,
    timeLimitS: 3600,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min: number, integer = false): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < min || (integer && !Number.isInteger(v)))
        throw new RangeError(`${a}: expected ${integer ? 'a whole number' : 'a number'} ≥ ${min}, got ${argv[i]}`);
      return v;
    };
    if (a === 'province') continue;
    else if (a === '--json') o.json = true;
    else if (a === '--terminals') o.terminals = num(1, true);
    else if (a === '--rate') o.ratePerS = num(1);
    else if (a === '--seconds') o.seconds = num(1);
    else if (a === '--warmup') o.warmupS = num(0);
    else if (a === '--drain') o.drainS = num(0);
    else if (a === '--seed') o.seed = num(0, true);
    else if (a === '--dead') o.dead = num(0);
    else if (a === '--noise') o.noise = num(0);
    else if (a === '--sim-processes') o.simProcesses = num(1, true);
    else if (a === '--settle-timeout') o.settleTimeoutS = num(0);
    else if (a === '--time-limit') o.timeLimitS = num(1);
    else throw new RangeError(`unknown option ${a}\n${USAGE}`);
  }
  return o;
}

/** One simulator process per 15,000 terminals or so (about four and a half counties). */
export const simProcessesFor = (terminals: number): number => Math.max(1, Math.ceil(terminals / 15_000));
