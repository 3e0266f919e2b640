/**
 * The held schedule (terminal-modbus PROTOCOL.md §9) as the field gives it: one terminal's access with driver errors
 * as FieldError, and a table broadcast on a bus with its read-back mapped from units to terminal ids.
 */
import { BusError, type HeldScheduleAccess, type HeldTable, type TerminalBus } from '../../device-drivers/terminal-bus';
import { withFieldErrors } from './driver-failures';
import type { RequestOptions } from './field-port';

export function terminalHeld(held: HeldScheduleAccess, unit: number): HeldScheduleAccess {
  return {
    header: (_u, opts) => withFieldErrors(() => held.header(unit, opts)),
    write: (_u, table, opts) => withFieldErrors(() => held.write(unit, table, opts)),
    plays: (_u, opts) => withFieldErrors(() => held.plays(unit, opts)),
    acknowledge: (_u, sequence, opts) => withFieldErrors(() => held.acknowledge(unit, sequence, opts)),
  };
}

/** `idOf`: unit → terminal id of those to read back. Resolves with the terminals holding the table. */
export function busHeldWrite(
  bus: TerminalBus | undefined,
  gatewayId: number,
  idOf: Map<number, number>,
  table: HeldTable,
  opts: RequestOptions,
): Promise<number[]> {
  return withFieldErrors(async () => {
    if (!bus?.held?.writeAll)
      throw new BusError('disconnected', `gateway ${gatewayId}`, null, 'held write', 'no open bus holds a schedule');
    const units = await bus.held.writeAll([...idOf.keys()], table, opts);
    return units.map((u) => idOf.get(u)).filter((id): id is number => id !== undefined);
  });
}
