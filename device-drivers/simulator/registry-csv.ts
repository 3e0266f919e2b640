/**
 * A simulated network's gateways and terminals in the registry's import format (CSV with a header row), so the demo
 * and an operator can register exactly what the simulator serves.
 */
import { stringify } from 'csv-stringify/sync';
import type { CountyShape } from './county-shape';

export const GATEWAY_COLUMNS = [
  'name',
  'resourceCode',
  'areaCode',
  'kind',
  'host',
  'port',
  'baudRate',
  'parity',
  'dataBits',
  'stopBits',
  'requestTimeoutMs',
  'turnaroundMs',
  'broadcastDelayMs',
  'enabled',
] as const;
export const TERMINAL_COLUMNS = [
  'name',
  'resourceCode',
  'areaCode',
  'gatewayResourceCode',
  'unitId',
  'model',
  'serialNumber',
] as const;

/** The shape's areas (county, towns, villages), parents first, in the region import's columns. */
export function regionsCsv(shape: CountyShape): string {
  return stringify([['code', 'name'], ...shape.areas.map((a) => [a.areaCode, a.name])]);
}

/** `ports[i]` is where gateway i actually listens (ports 0 in the shape are replaced by the bound ones). */
export function gatewaysCsv(shape: CountyShape, ports: readonly number[]): string {
  const rows = shape.gateways.map((g, i) => [
    g.name,
    g.resourceCode,
    g.areaCode,
    g.kind,
    g.host,
    ports[i] ?? g.port,
    g.baudRate,
    g.parity,
    g.dataBits,
    g.stopBits,
    g.requestTimeoutMs,
    g.turnaroundMs,
    g.broadcastDelayMs,
    'true',
  ]);
  return stringify([[...GATEWAY_COLUMNS], ...rows]);
}

export function terminalsCsv(shape: CountyShape): string {
  const rows = shape.gateways.flatMap((g) =>
    g.terminals.map((t) => [t.name, t.resourceCode, t.areaCode, g.resourceCode, t.unitId, t.model, t.serialNumber]),
  );
  return stringify([[...TERMINAL_COLUMNS], ...rows]);
}
