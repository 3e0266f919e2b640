/**
 * The held schedule (terminal-modbus PROTOCOL.md §9) as the field gives it: one terminal's access with driver errors
 * as FieldError, and a table broadcast on a bus with its read-back mapped from units to terminal ids.
 */
import { BusError, type HeldScheduleAccess, type HeldTable } from '../../device-drivers/terminal-bus';
import { withFieldErrors } from './driver-failures';
import type { RequestOptions } from './field-port';
import type { BusLifecycle } from './bus-lifecycle';
import type { SigningGuard } from './signing-guard';

export function heldOf(buses: BusLifecycle, terminalId: number, guard: SigningGuard): HeldScheduleAccess | null {
  const where = buses.locate(terminalId);
  const bus = where ? buses.get(where.gatewayId)?.bus : undefined;
  return where && bus?.held ? terminalHeld(bus.held, where.unit, bus.id, terminalId, guard) : null;
}

function terminalHeld(
  held: HeldScheduleAccess,
  unit: number,
  busId: string,
  terminalId: number,
  guard: SigningGuard,
): HeldScheduleAccess {
  return {
    header: (_u, opts) => withFieldErrors(() => held.header(unit, opts)),
    // the table is a signed command (§9.7): not to a terminal whose broadcast start is in doubt
    write: (_u, table, opts) =>
      withFieldErrors(async () => {
        await guard.check([terminalId], { busId, unit, operation: 'held schedule write' });
        return held.write(unit, table, opts);
      }),
    plays: (_u, opts) => withFieldErrors(() => held.plays(unit, opts)),
    acknowledge: (_u, sequence, opts) => withFieldErrors(() => held.acknowledge(unit, sequence, opts)),
  };
}

/** The terminals of `terminalIds` on the gateway's bus are read back. Resolves with the terminals holding the table. */
export function busHeldWrite(
  buses: BusLifecycle,
  gatewayId: number,
  terminalIds: number[],
  table: HeldTable,
  opts: RequestOptions,
  guard: SigningGuard,
): Promise<number[]> {
  const o = buses.get(gatewayId);
  const idOf = new Map<number, number>();
  for (const id of terminalIds) {
    const where = buses.locate(id);
    if (where?.gatewayId === gatewayId) idOf.set(where.unit, id);
  }
  return withFieldErrors(async () => {
    const bus = o?.bus;
    if (!bus?.held?.writeAll)
      throw new BusError('disconnected', `gateway ${gatewayId}`, null, 'held write', 'no open bus holds a schedule');
    // one broadcast reaches every unit of the bus: none of them may have a broadcast start in doubt
    const onBus = [...(o?.units.values() ?? [])];
    await guard.check(onBus, { busId: bus.id, unit: null, operation: 'held schedule write to the whole bus' }, opts);
    const units = await bus.held.writeAll([...idOf.keys()], table, opts);
    return units.map((u) => idOf.get(u)).filter((id): id is number => id !== undefined);
  });
}
