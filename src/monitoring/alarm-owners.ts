/**
 * Which lease an alarm goes with in a cluster (docs/cluster.md, "Alarms follow the bus"): the bus of its gateway; an
 * alarm without a gateway (a town's uplink) goes with the bus of the lowest gateway among its terminals; one with
 * neither (a relay alarm of a terminal of unknown bus) with the `alarms` singleton. Pure.
 */
import { BUS_PREFIX, busKey } from '../cluster/lease-manager';

/** The singleton holding the alarms tied to no bus. */
export const ALARMS_SINGLETON = 'alarms';

/** `bus:<gatewayId>`, or null for the alarms singleton. */
export function alarmOwner(
  alarm: { gatewayId: number | null; terminalIds: readonly number[] },
  gatewayOf: (terminalId: number) => number | undefined,
): string | null {
  if (alarm.gatewayId !== null) return busKey(alarm.gatewayId);
  const gateways = alarm.terminalIds.map(gatewayOf).filter((g): g is number => g !== undefined);
  return gateways.length > 0 ? busKey(Math.min(...gateways)) : null;
}

/** The gateway of a `bus:<gatewayId>` key; null for any other key. */
export function gatewayOfBus(key: string | null): number | null {
  return key?.startsWith(BUS_PREFIX) ? Number(key.slice(BUS_PREFIX.length)) : null;
}
