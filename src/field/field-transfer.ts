/**
 * A clip transfer on one gateway's bus, by terminal id (FieldCommands.transferClip over the driver's units). Its
 * prepare is a signed command (signing-guard.ts): a terminal whose broadcast start is in doubt is not transferred to
 * (failed `start-in-doubt`, for a later try), and while any unit of the bus is in doubt the prepare goes to each
 * terminal on its own, never to the whole bus.
 */
import { BusError, type ClipTransferResult, type TerminalBus } from '../../device-drivers/terminal-bus';
import { transferFailure } from './driver-failures';
import type { ClipToTransfer, FieldTransferResult, RequestOptions, TerminalLocation } from './field-port';

export async function transferOnBus(
  bus: TerminalBus,
  gatewayId: number,
  terminalIds: number[],
  locate: (terminalId: number) => TerminalLocation | undefined,
  clip: ClipToTransfer,
  opts: RequestOptions,
  /** The terminals of the bus whose broadcast start is in doubt. */
  doubt: Set<number> = new Set(),
): Promise<FieldTransferResult> {
  const unitOf = new Map<number, number>();
  const deferred: FieldTransferResult['failed'] = [];
  for (const id of terminalIds) {
    const where = locate(id);
    if (!where || where.gatewayId !== gatewayId)
      throw new BusError('wrong-unit', bus.id, null, 'clip transfer', `terminal ${id} is not on this bus`);
    if (doubt.has(id)) deferred.push({ terminalId: id, failure: inDoubt(bus.id, where.unit) });
    else unitOf.set(where.unit, id);
  }
  const result: ClipTransferResult =
    unitOf.size === 0
      ? { stored: [], alreadyStored: [], failed: [], framesSent: { broadcast: 0, unicast: 0 } }
      : await bus.transferClip([...unitOf.keys()], clip, {
          priority: 'transfer',
          ...opts,
          ...(doubt.size > 0 ? { prepareEach: true } : {}),
        });
  const ids = (units: number[]) => units.map((u) => unitOf.get(u)).filter((id): id is number => id !== undefined);
  return {
    stored: ids(result.stored),
    alreadyStored: ids(result.alreadyStored),
    failed: [
      ...deferred,
      ...result.failed.flatMap((f) =>
        unitOf.has(f.unit) ? [{ terminalId: unitOf.get(f.unit) as number, failure: transferFailure(f) }] : [],
      ),
    ],
    framesSent: result.framesSent,
  };
}

function inDoubt(busId: string, unit: number): FieldTransferResult['failed'][number]['failure'] {
  return {
    kind: 'start-in-doubt',
    exceptionCode: null,
    message: `${busId} unit ${unit} clip prepare: not sent, a broadcast start to it is not verified yet (try again once it is)`,
  };
}
