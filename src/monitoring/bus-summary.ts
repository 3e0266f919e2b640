/**
 * A bus as its holder publishes it to the other instances of a cluster (docs/cluster.md, "Monitoring across
 * instances"): the gateway's connection, each terminal's connectivity as the holder sees it, and per area code how
 * many terminals are registered, online and still unknown. Enough for another instance's online rates, the
 * connectivity in its snapshots, the gateways it shows and a town's uplink; readings and history stay in
 * `terminal_status`. Pure.
 */
import { busIsDown } from './alarm-causes';
import type { Connectivity } from './connectivity';
import type { BusConnection, GatewayStatus } from './monitoring.service';
import { OnlineRateCounters } from './online-rate';
import type { LiveStatus } from './status-store';

export interface BusView {
  gatewayId: number;
  /** The gateway's area. */
  areaCode: string;
  connection: BusConnection;
  /** When the connection state last changed (ms since epoch). */
  since: number;
  detail: string | null;
  /** Its terminals by id, with their connectivity. */
  terminals: [number, Connectivity][];
  /** Per area code of its terminals: [registered, online, unknown]. */
  areas: Record<string, [number, number, number]>;
}

/** A bus view as read back from the shared table: who wrote it, under which epoch, when. */
export interface PublishedBus extends BusView {
  holder: string;
  epoch: number;
  /** When its holder wrote it, on the holder's clock; it only grows from one holder's writes to the next. */
  writtenAt: number;
}

/** The view of every gateway tracked here, with its tracked terminals. */
export function busViews(gateways: Iterable<GatewayStatus>, terminals: Iterable<LiveStatus>): Map<number, BusView> {
  const views = new Map<number, BusView>();
  for (const g of gateways)
    views.set(g.gatewayId, {
      gatewayId: g.gatewayId,
      areaCode: g.areaCode,
      connection: g.connection,
      since: g.since,
      detail: g.detail,
      terminals: [],
      areas: {},
    });
  for (const t of terminals) {
    const view = views.get(t.gatewayId);
    if (!view) continue; // counted without a bus (the field off): nothing to publish
    view.terminals.push([t.terminalId, t.connectivity]);
    const area = (view.areas[t.areaCode] ??= [0, 0, 0]);
    area[0] += 1;
    if (t.online) area[1] += 1;
    if (t.connectivity === 'unknown') area[2] += 1;
  }
  for (const view of views.values()) view.terminals.sort((a, b) => a[0] - b[0]);
  return views;
}

/** Whether a published bus is down as the alarms judge a bus (alarm-causes.ts). */
export function publishedBusIsDown(bus: BusView): boolean {
  return busIsDown(
    bus.connection === 'disconnected',
    bus.terminals.map(([, c]) => c),
  );
}

/** The rates' counters over some published buses. */
export function countersOf(buses: Iterable<BusView>): OnlineRateCounters {
  const counters = new OnlineRateCounters();
  for (const bus of buses)
    for (const [areaCode, [registered, online, unknown]] of Object.entries(bus.areas))
      counters.addCounts(areaCode, { registered, online, unknown });
  return counters;
}

/** A published bus's gateway as monitoring shows a gateway. */
export function gatewayOf(bus: BusView): GatewayStatus {
  return {
    gatewayId: bus.gatewayId,
    areaCode: bus.areaCode,
    connection: bus.connection,
    since: bus.since,
    detail: bus.detail,
  };
}
