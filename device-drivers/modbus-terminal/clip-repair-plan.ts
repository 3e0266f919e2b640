/** How a clip transfer's repair rounds (clip-transfer.ts) split what the units still miss, and when they stop. */

/** Repair rounds in a row that bring no unit closer to the whole clip before the transfer gives up on those units. */
export const REPAIR_ROUNDS = 3;
/** Repair rounds at most, progress or not. */
export const MAX_REPAIR_ROUNDS = 12;

/** Chunks missed by at least this many units are re-broadcast; the rest go unicast (§6.6). */
export function broadcastThreshold(units: number): number {
  return Math.max(2, Math.ceil(units / 4));
}

/** Splits the missing chunks of each unit into re-broadcasts and unicasts. */
export function planRepair(missing: ReadonlyMap<number, readonly number[]>): {
  broadcast: number[];
  unicast: Map<number, number[]>;
} {
  const count = new Map<number, number>();
  for (const list of missing.values()) for (const i of list) count.set(i, (count.get(i) ?? 0) + 1);
  const threshold = broadcastThreshold(missing.size);
  const broadcast = [...count]
    .filter(([, n]) => missing.size > 1 && n >= threshold)
    .map(([i]) => i)
    .sort((a, b) => a - b);
  const again = new Set(broadcast);
  const unicast = new Map<number, number[]>();
  for (const [unit, list] of missing) {
    const rest = list.filter((i) => !again.has(i));
    if (rest.length > 0) unicast.set(unit, rest);
  }
  return { broadcast, unicast };
}
