/**
 * The held-schedule phase of `npm run bench -- relay` (docs/relay.md "Held schedules", terminal-modbus PROTOCOL.md §9):
 * before the grid, every terminal is given a held table with one slot after the grid (announce signed, entries,
 * commit, read back) — an older terminal refuses command 17 and is counted apart; after the grid the controller's
 * buses are stopped, the slot passes with nobody talking to the terminals, and the figures come from what they
 * sounded by themselves (the simulator's play logs); then buses are opened again and each terminal's play log is
 * read through the driver and acknowledged, as the controller does when it is back.
 */
import type { ModbusTerminalBus } from '../../device-drivers/modbus-terminal/modbus-terminal-bus';
import type { BusTarget } from '../../device-drivers/bench/sweep';
import type { PlayRecord } from '../../device-drivers/simulator/modbus/virtual-bus';
import { BusError } from '../../device-drivers/terminal-bus';
import { PRIORITY } from '../../firmware-protocols/codes';
import { TERMINAL_EXCEPTIONS } from '../../firmware-protocols/terminal-modbus';

export interface HeldSlot {
  start: number;
  end: number;
}

export interface HeldSetup {
  /** `g:u` of the terminals holding the table (read back active). */
  holding: Set<string>;
  /** Older terminals (command 17 refused 0x03). */
  older: number;
  /** Write failed (dead, noise twice). */
  failed: number;
  /** The first failure, for the log. */
  firstError: string | null;
}

/** Each bus's units one after another (a bus takes one request at a time), the buses together; two tries each. */
export async function writeHeldTables(
  buses: ModbusTerminalBus[],
  targets: BusTarget[],
  slot: HeldSlot,
  holdOffSeconds: number,
  now: number,
): Promise<HeldSetup> {
  const setup: HeldSetup = { holding: new Set(), older: 0, failed: 0, firstError: null };
  const table = {
    entries: [
      {
        start: slot.start / 1000,
        end: slot.end / 1000,
        source: 'fm' as const,
        priority: PRIORITY.county,
        volume: 70,
        sourceParam: 9530,
      },
    ],
    validFrom: Math.floor(now / 1000),
    validUntil: Math.floor(now / 1000) + 86_400,
    holdOffSeconds,
  };
  await Promise.all(
    buses.map(async (bus, g) => {
      // the bus's terminals share the table: broadcast it, read each back, and write unit by unit where it did not take
      let holding: number[] = [];
      try {
        holding = await bus.held.writeAll(targets[g].units, table, { priority: 'command' });
      } catch (e) {
        setup.firstError ??= (e as Error).message;
      }
      for (const unit of holding) setup.holding.add(`${g}:${unit}`);
      for (const unit of targets[g].units.filter((u) => !holding.includes(u)))
        for (let attempt = 0; attempt < 2; attempt++) {
          try {
            await bus.held.write(unit, table, { priority: 'command' });
            setup.holding.add(`${g}:${unit}`);
            break;
          } catch (e) {
            if (e instanceof BusError && e.exceptionCode === TERMINAL_EXCEPTIONS.illegalValue) {
              setup.older++;
              break;
            }
            if (attempt === 1) setup.failed++;
            setup.firstError ??= (e as Error).message;
          }
        }
    }),
  );
  return setup;
}

/** How many holding terminals sounded the slot by themselves, whole (within 1 s of its start, to its end). */
export function heldFigures(
  logs: [number, number, PlayRecord[]][],
  setup: HeldSetup,
  slot: HeldSlot,
  reported: number,
): Record<string, number | null> {
  let played = 0;
  for (const [g, u, log] of logs) {
    if (!setup.holding.has(`${g}:${u}`)) continue;
    const p = log.find((r) => r.held === true && r.startAt >= slot.start - 1000 && r.startAt < slot.end);
    if (p && p.startAt - slot.start < 1000 && p.endAt !== null && p.endAt >= slot.end) played++;
  }
  const n = setup.holding.size;
  return {
    held_terminals: n,
    held_older: setup.older,
    held_played_percent: n === 0 ? null : Number(((100 * played) / n).toFixed(3)),
    held_reported_percent: n === 0 ? null : Number(((100 * reported) / n).toFixed(3)),
  };
}

/** The controller back: each holding terminal's play log read through the driver and acknowledged. */
export async function collectHeldLogs(buses: ModbusTerminalBus[], setup: HeldSetup): Promise<number> {
  let reported = 0;
  await Promise.all(
    buses.map(async (bus, g) => {
      for (const key of setup.holding) {
        const [kg, unit] = key.split(':').map(Number);
        if (kg !== g) continue;
        for (let attempt = 0; attempt < 2; attempt++) {
          try {
            const log = await bus.held.plays(unit, { priority: 'poll' });
            if (log.records.some((r) => r.outcome === 'whole')) reported++;
            if (log.records.length > 0) await bus.held.acknowledge(unit, log.records[log.records.length - 1].sequence);
            break;
          } catch {
            // noise: once more
          }
        }
      }
    }),
  );
  return reported;
}
