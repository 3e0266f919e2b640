/**
 * Alarm kind `held-table` (docs/relay.md "Held schedules"): a capable terminal, online, whose table could not be
 * written and verified after the pass's retries; cleared once its table is verified. An offline terminal is left to
 * its offline or bus alarm (its table is verified again when it is back).
 */
import type { AlarmCause } from '../../monitoring/alarm-causes';

export interface UnwrittenTable {
  terminalId: number;
  areaCode: string;
  gatewayId: number;
  reason: string;
}

export function heldTableCauses(
  unwritten: Iterable<UnwrittenTable>,
  offline: (terminalId: number) => boolean,
): AlarmCause[] {
  const causes: AlarmCause[] = [];
  for (const u of unwritten)
    if (!offline(u.terminalId))
      causes.push({
        key: `held-table:terminal:${u.terminalId}`,
        kind: 'held-table',
        areaCode: u.areaCode,
        gatewayId: u.gatewayId,
        terminalId: u.terminalId,
        fault: null,
        terminalIds: [u.terminalId],
      });
  return causes;
}
