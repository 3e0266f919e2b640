/**
 * Writing the held tables of one bus in a pass (docs/relay.md "Held schedules", terminal-modbus PROTOCOL.md §9.3 and
 * §9.7). Terminals of the bus that need the same table get it in one bus-wide write (announce, entries and commit
 * broadcast once, each header read back) when that is safe: every terminal that could take it from the broadcast — a
 * capable terminal of the bus not known offline — is to hold that very table (the announce drops whatever table a
 * terminal holds, and a broadcast commit makes it active). The others, and those whose read-back does not show the
 * table, are written unicast, each verified by its read-back, up to HELD_UNICAST_TRIES times within the pass. A
 * terminal whose broadcast start is not verified yet is written nothing (src/field/signing-guard.ts): it is deferred to
 * a pass soon, not failed.
 */
import { failureOf, type HeldTable } from '../../field/field-port';
import type { HeldPlan } from './held-plan';

/** Unicast writes of one table to one terminal within a pass (after the bus-wide write, when there was one). */
export const HELD_UNICAST_TRIES = 2;

/** A capable terminal's table this pass. */
export interface HeldWant {
  terminalId: number;
  gatewayId: number;
  plan: HeldPlan;
  digest: string;
  /** Not yet verified on the terminal: to be written. */
  write: boolean;
}

export interface HeldBusIo {
  /** Broadcast on the bus, the terminals read back; resolves with those holding it. */
  writeAll(gatewayId: number, terminalIds: number[], table: HeldTable): Promise<number[]>;
  /** Unicast, read back; rejects unless the terminal shows it active. */
  write(terminalId: number, table: HeldTable): Promise<void>;
  /** The terminals of the bus, and whether a broadcast cannot reach one (incapable, or offline now). */
  terminalsOn(gatewayId: number): number[];
  outOfReach(terminalId: number): boolean;
}

export interface HeldBusOutcome {
  /** Terminals now verified holding their table (only those that were to be written). */
  written: HeldWant[];
  failed: { want: HeldWant; reason: string }[];
  /** Not written now: a broadcast start to the terminal is not verified yet. */
  deferred: HeldWant[];
  broadcasts: number;
}

/** Every want of one bus (`wants`: all this pass's capable terminals of the bus, written or not). */
export async function writeBus(
  gatewayId: number,
  wants: readonly HeldWant[],
  io: HeldBusIo,
  table: (plan: HeldPlan) => HeldTable,
): Promise<HeldBusOutcome> {
  const out: HeldBusOutcome = { written: [], failed: [], deferred: [], broadcasts: 0 };
  const byTerminal = new Map(wants.map((w) => [w.terminalId, w]));
  const groups = new Map<string, HeldWant[]>();
  for (const w of wants) if (w.write) groups.set(w.digest, [...(groups.get(w.digest) ?? []), w]);
  for (const [digest, group] of groups) {
    let left = group;
    if (group.length >= 2 && broadcastSafe(gatewayId, digest, byTerminal, io)) {
      // the announce drops the table of every terminal that hears it: those already holding this one are read back too
      const readBack = wants
        .filter((w) => w.digest === digest && (w.write || !io.outOfReach(w.terminalId)))
        .map((w) => w.terminalId);
      out.broadcasts += 1;
      let holding = new Set<number>();
      try {
        holding = new Set(await io.writeAll(gatewayId, readBack, table(group[0].plan)));
      } catch {
        // nothing known to have taken it: every one is written unicast below
      }
      for (const w of wants)
        if (!w.write && readBack.includes(w.terminalId) && !holding.has(w.terminalId)) {
          // it held the table before the announce and does not show it now
          w.write = true;
          group.push(w);
        }
      out.written.push(...group.filter((w) => holding.has(w.terminalId)));
      left = group.filter((w) => !holding.has(w.terminalId));
    }
    for (const w of left) {
      let failure: string | null = null;
      let deferred = false;
      for (let attempt = 0; attempt < HELD_UNICAST_TRIES && !deferred; attempt++) {
        try {
          await io.write(w.terminalId, table(w.plan));
          failure = null;
          break;
        } catch (e) {
          failure = (e as Error).message;
          deferred = failureOf(e).kind === 'start-in-doubt';
        }
      }
      if (failure === null) out.written.push(w);
      else if (deferred) out.deferred.push(w);
      else out.failed.push({ want: w, reason: failure });
    }
  }
  return out;
}

/** No terminal of the bus that a broadcast reaches is to hold another table (or none that we know of). */
function broadcastSafe(
  gatewayId: number,
  digest: string,
  wants: ReadonlyMap<number, HeldWant>,
  io: HeldBusIo,
): boolean {
  return io.terminalsOn(gatewayId).every((id) => wants.get(id)?.digest === digest || io.outOfReach(id));
}
