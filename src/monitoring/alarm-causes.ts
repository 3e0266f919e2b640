/**
 * From the live state to the causes a technician should see (docs/architecture.md, "The status path"): one terminal vs. a whole bus
 * (gateway or cable) vs. a whole town (uplink). A dead gateway is one cause, not twelve offline terminals.
 * Pure: a snapshot in, the set of current causes out. Hysteresis and reminders live in AlarmBook.
 */
import type { Connectivity } from './connectivity';
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

/** Whether a bus is down: its connection is, or all of its two or more terminals are offline. */
export function busIsDown(connectionDown: boolean, connectivities: readonly Connectivity[]): boolean {
  return connectionDown || (connectivities.length >= 2 && connectivities.every((c) => c === 'offline'));
}

/**
 * In a cluster, a bus another instance drives, as it publishes it (shared-monitoring.ts): it counts in its town's
 * uplink, nothing else is judged of it here. `down: null` when its state is not known now: its town is not judged.
 */
export interface OtherBus {
  gatewayId: number;
  areaCode: string;
  down: boolean | null;
  terminalIds: number[];
}

/** The town an area belongs to (a village's or group's town; a town or county is itself). */
function townOf(areaCode: string): string {
  return areaCode.slice(6, 9) === '000' ? areaCode : `${areaCode.slice(0, 9)}000`;
}

interface DownBus {
  state: GatewayState;
  terminalIds: number[];
  /** Another instance's bus: counted in its town, judged there. */
  other?: true;
}

export function currentCauses(
  terminals: Iterable<LiveStatus>,
  gateways: Iterable<GatewayState>,
  others: readonly OtherBus[] = [],
): AlarmCause[] {
  const byGateway = new Map<number, LiveStatus[]>();
  for (const t of terminals) {
    const list = byGateway.get(t.gatewayId) ?? [];
    list.push(t);
    byGateway.set(t.gatewayId, list);
  }
  const downGateways = new Map<number, DownBus>();
  const gatewaysByTown = new Map<string, GatewayState[]>();
  for (const g of gateways) {
    const town = townOf(g.areaCode);
    gatewaysByTown.set(town, [...(gatewaysByTown.get(town) ?? []), g]);
    const list = byGateway.get(g.gatewayId) ?? [];
    if (
      busIsDown(
        g.connectionDown,
        list.map((t) => t.connectivity),
      )
    )
      downGateways.set(g.gatewayId, { state: g, terminalIds: list.map((t) => t.terminalId) });
  }
  const unknownTowns = new Set<string>();
  for (const o of others) {
    const town = townOf(o.areaCode);
    if (o.down === null) unknownTowns.add(town);
    const state = { gatewayId: o.gatewayId, areaCode: o.areaCode, connectionDown: false };
    gatewaysByTown.set(town, [...(gatewaysByTown.get(town) ?? []), state]);
    if (o.down) downGateways.set(o.gatewayId, { state, terminalIds: o.terminalIds, other: true });
  }
  for (const town of unknownTowns) gatewaysByTown.delete(town);
  return [...busCauses(gatewaysByTown, downGateways), ...terminalCauses(byGateway, downGateways)];
}

/** A town's uplink when all of its two or more gateways are down, else each bus down of this instance. */
function busCauses(gatewaysByTown: Map<string, GatewayState[]>, downGateways: Map<number, DownBus>): AlarmCause[] {
  const causes: AlarmCause[] = [];
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
    if (coveredGateways.has(gatewayId) || down.other) continue;
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
  return causes;
}

/** Each terminal offline on a bus that is not down, and each fault of a terminal not offline. */
function terminalCauses(byGateway: Map<number, LiveStatus[]>, downGateways: Map<number, DownBus>): AlarmCause[] {
  const causes: AlarmCause[] = [];
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
