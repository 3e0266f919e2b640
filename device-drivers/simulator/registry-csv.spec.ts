import { parse } from 'csv-parse/sync';
import { referenceCounty } from './county-shape';
import { GATEWAY_COLUMNS, gatewaysCsv, regionsCsv, TERMINAL_COLUMNS, terminalsCsv } from './registry-csv';

describe('registry CSV of a simulated network', () => {
  const county = referenceCounty();

  it('lists the county, its towns and its villages, each parent before its children', () => {
    const rows = parse<Record<string, string>>(regionsCsv(county), { columns: true });
    expect(Object.keys(rows[0])).toEqual(['code', 'name']);
    expect(rows).toHaveLength(county.areas.length);
    const seen = new Set<string>();
    for (const [i, a] of county.areas.entries()) {
      expect(rows[i].code).toBe(a.areaCode);
      if (a.parentCode) expect(seen.has(a.parentCode)).toBe(true);
      seen.add(a.areaCode);
    }
  });

  it('lists every gateway with the port it actually listens on, in the import columns', () => {
    const ports = county.gateways.map((_, i) => 40000 + i);
    const rows = parse<Record<string, string>>(gatewaysCsv(county, ports), { columns: true });
    expect(Object.keys(rows[0])).toEqual([...GATEWAY_COLUMNS]);
    expect(rows).toHaveLength(280);
    expect(rows[5]).toMatchObject({
      port: '40005',
      kind: 'modbus-tcp',
      baudRate: '9600',
      parity: 'even',
      turnaroundMs: '10',
      broadcastDelayMs: '50',
      enabled: 'true',
    });
  });

  it('lists all 3,300 terminals under their gateway resource codes', () => {
    const rows = parse<Record<string, string>>(terminalsCsv(county), { columns: true });
    expect(Object.keys(rows[0])).toEqual([...TERMINAL_COLUMNS]);
    expect(rows).toHaveLength(3300);
    expect(rows[0].gatewayResourceCode).toBe(county.gateways[0].resourceCode);
    expect(new Set(rows.map((r) => r.resourceCode)).size).toBe(3300);
  });
});
