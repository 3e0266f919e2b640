/** The command line of `npm run bench -- relay` (src/bench/relay.ts, docs/performance.md). */

export interface Options {
  json: boolean;
  seed: number;
  dead: number;
  noise: number;
  slotS: number;
  slots: number;
}

export function parseRelayArgs(argv: string[]): Options {
  const o: Options = { json: false, seed: 1, dead: 0.05, noise: 0.01, slotS: 20, slots: 3 };
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    const num = (): number => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`${a}: expected a number, got ${argv[i] ?? 'nothing'}`);
      return v;
    };
    if (a === '--json') o.json = true;
    else if (a === '--seed') o.seed = num();
    else if (a === '--dead') o.dead = num();
    else if (a === '--noise') o.noise = num();
    else if (a === '--slot-s') o.slotS = Math.max(10, num());
    else if (a === '--slots') o.slots = Math.max(1, Math.round(num()));
    else throw new RangeError(`unknown option ${a}`);
  }
  return o;
}
