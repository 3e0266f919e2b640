/**
 * A gateway's bus as the per-bus plan sees it, over FieldCommands (terminals keyed by registry id). The plan reads the
 * terminals whose start is in doubt before it signs to them (run/in-doubt.ts): its commands pass the field's signing
 * guard (`startsRead`, src/field/signing-guard.ts).
 */
import type { FieldCommands } from '../field/field-commands';
import type { BusLink } from './bus-plan';

export function fieldLink(field: FieldCommands, gatewayId: number): BusLink {
  return {
    id: `gateway ${gatewayId}`,
    transfer: async (keys, clip, priority, opts) => {
      const r = await field.transferClip(gatewayId, keys, clip, { priority, ...opts, startsRead: true });
      return {
        stored: r.stored,
        alreadyStored: r.alreadyStored,
        failed: r.failed.map((f) => ({ key: f.terminalId, failure: f.failure })),
      };
    },
    commandAll: async (command, priority) =>
      (await field.commandBus(gatewayId, command, { priority, startsRead: true })).sequence,
    command: async (key, command, priority) =>
      (await field.command(key, command, { priority, startsRead: true })).sequence,
    status: (key, priority) => field.readStatus(key, { priority }),
  };
}
