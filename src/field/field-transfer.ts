/** A clip transfer on one gateway's bus, by terminal id (FieldCommands.transferClip over the driver's units). */
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
): Promise<FieldTransferResult> {
  const unitOf = new Map<number, number>();
  for (const id of terminalIds) {
    const where = locate(id);
    if (!where || where.gatewayId !== gatewayId)
      throw new BusError('wrong-unit', bus.id, null, 'clip transfer', `terminal ${id} is not on this bus`);
    unitOf.set(where.unit, id);
  }
  const result: ClipTransferResult = await bus.transferClip([...unitOf.keys()], clip, {
    priority: 'transfer',
    ...opts,
  });
  const ids = (units: number[]) => units.map((u) => unitOf.get(u)).filter((id): id is number => id !== undefined);
  return {
    stored: ids(result.stored),
    alreadyStored: ids(result.alreadyStored),
    failed: result.failed.flatMap((f) =>
      unitOf.has(f.unit) ? [{ terminalId: unitOf.get(f.unit) as number, failure: transferFailure(f) }] : [],
    ),
    framesSent: result.framesSent,
  };
}
