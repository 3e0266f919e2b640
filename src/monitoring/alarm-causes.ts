/**
 * From the live state to the causes a technician should see (docs/architecture.md, "The status path"): one terminal vs. a whole bus
 * (gateway or cable) vs. a whole town (uplink). A dead gateway is one cause, not twelve offline terminals.
 * Pure: a snapshot in, the set of current causes out. Hysteresis and reminders live in AlarmBook.
 */
import type { LiveStatus } from './status-store';

export type AlarmKind =
  | 'terminal-offline'
  | 'bus-down'
  | 'town-uplink'
  | 'fault'
  // the relay's watch (src/relay/watch): during a slot, terminals of one bus silent, on another source, or weak
  | 'relay-silent'
  | 'relay-source'
  | 'relay-signal'
  // a terminal's silent self-test found a fault (src/selftest), until a later test passes
  | 'self-test'
  // a capable terminal's held schedule could not be written and verified (src/relay/held), until it is
  | 'held-table';

export interface AlarmCause {
  /** Stable identity of the cause, e.g. `bus-down:gateway:12`. */
  key: string;
  kind: AlarmKind;
  /** Area the cause is in, for scoping and rooms. */
  areaCode: string;
  gatewayId: number | null;
  terminalId: number | null;
  /** Fault key for kind 'fault'. */
  fault: string | null;
  /** Terminals silenced by this cause. */
  terminalIds: number[];
}

export interface GatewayState {
  gatewayId: number;
  areaCode: string;
  /** Connection to the gateway (TCP or serial) is down. */
  connectionDown: boolean;
}

/** The town an area belongs to (a village's or group's town; a town or county is itself). */
function townOf(areaCode: string): string {
  return areaCode.slice(6, 9) === '000' ? areaCode : `${areaCode.slice(0, 9)}000`;
}

export function currentCauses(terminals: Iterable<LiveStatus>, gateways: Iterable<GatewayState>): AlarmCause[] {
  const byGateway = new Map<number, LiveStatus[]>();
  for (const t of terminals) {
    const list = byGateway.get(t.gatewayId) ?? [];
    list.push(t);
    byGateway.set(t.gatewayId, list);
  }
  const causes: AlarmCause[] = [];
  const downGateways = new Map<number, { state: GatewayState; terminalIds: number[] }>();
  const gatewaysByTown = new Map<string, GatewayState[]>();
  for (const g of gateways) {
    const town = townOf(g.areaCode);
    gatewaysByTown.set(town, [...(gatewaysByTown.get(town) ?? []), g]);
    const list = byGateway.get(g.gatewayId) ?? [];
    const offline = list.filter((t) => t.connectivity === 'offline');
    const allOffline = list.length >= 2 && offline.length === list.length;
    if (g.connectionDown || allOffline)
      downGateways.set(g.gatewayId, { state: g, terminalIds: list.map((t) => t.terminalId) });
  }
  const coveredGateways = new Set<number>();
  for (const [town, list] of gatewaysByTown) {
    if (list.length < 2 || !list.every((g) => downGateways.has(g.gatewayId))) continue;
    list.forEach((g) => coveredGateways.add(g.gatewayId));
    causes.push({
      key: `town-uplink:${town}`,
      kind: 'town-uplink',
      areaCode: town,
      gatewayId: null,
      terminalId: null,
      fault: null,
      terminalIds: list.flatMap((g) => downGateways.get(g.gatewayId)?.terminalIds ?? []),
    });
  }
  for (const [gatewayId, down] of downGateways) {
    if (coveredGateways.has(gatewayId)) continue;
    causes.push({
      key: `bus-down:gateway:${gatewayId}`,
      kind: 'bus-down',
      areaCode: down.state.areaCode,
      gatewayId,
      terminalId: null,
      fault: null,
      terminalIds: down.terminalIds,
    });
  }
  for (const [gatewayId, list] of byGateway) {
    const busDown = downGateways.has(gatewayId);
    for (const t of list) {
      if (t.connectivity === 'offline' && !busDown) {
        causes.push({
          key: `terminal-offline:terminal:${t.terminalId}`,
          kind: 'terminal-offline',
          areaCode: t.areaCode,
          gatewayId,
          terminalId: t.terminalId,
          fault: null,
          terminalIds: [t.terminalId],
        });
      }
      if (t.connectivity === 'offline' || !t.reading) continue;
      for (const fault of t.reading.faults) {
        causes.push({
          key: `fault:terminal:${t.terminalId}:${fault}`,
          kind: 'fault',
          areaCode: t.areaCode,
          gatewayId,
          terminalId: t.terminalId,
          fault,
          terminalIds: [t.terminalId],
        });
      }
    }
  }
  return causes;
}
