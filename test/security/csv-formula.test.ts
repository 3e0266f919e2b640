/**
 * Finding: CSV exports wrote cells starting with =, +, -, @, tab or CR as given, so a spreadsheet opening the export
 * ran them as formulas. Every CSV the server writes goes through writeTable (src/terminals/tabular.ts).
 */
import { parse } from 'csv-parse/sync';
import { useCountyApp } from './county-app';
import { VILLAGES } from '../registry/fixture';

const PAYLOADS = ['=HYPERLINK("http://evil","x")', '+1+cmd|calc', '-2+3', '@SUM(A1)', '\t=1+1', '\r=1+1'];

describe('CSV formula injection', () => {
  const county = useCountyApp(0);

  it('prefixes formula cells of terminal and gateway exports with a quote', async () => {
    const { t, admin, fx } = county;
    const v = VILLAGES[0];
    for (const [i, p] of PAYLOADS.entries()) {
      await t.http
        .post('/api/terminals')
        .set(t.auth(admin))
        .send({ name: `喇叭${i}`, areaCode: v, gatewayId: fx.gateways[v].id, unitId: 10 + i, model: p, notes: p })
        .expect(201);
    }
    await t.http
      .patch(`/api/gateways/${fx.gateways[v].id}`)
      .set(t.auth(admin))
      .send({ name: '=cmd|"/c calc"!A0' })
      .expect(200);

    const terminals = await t.http
      .get(`/api/terminals?areaCode=${v}&format=csv`)
      .set(t.auth(admin))
      .buffer(true)
      .expect(200);
    const rows = parse<Record<string, string>>(terminals.text, { columns: true });
    const models = rows.map((r) => r.model).sort();
    expect(models).toEqual(PAYLOADS.map((p) => `'${p}`).sort());
    for (const r of rows) expect(r.notes.startsWith("'")).toBe(true);

    const gateways = await t.http
      .get(`/api/gateways?areaCode=${v}&format=csv`)
      .set(t.auth(admin))
      .buffer(true)
      .expect(200);
    const g = parse<Record<string, string>>(gateways.text, { columns: true });
    expect(g[0].name).toBe(`'=cmd|"/c calc"!A0`);
  });

  it('leaves plain cells and negative numbers written by the server as they are', async () => {
    const { t, admin, fx } = county;
    const v = VILLAGES[1];
    await t.http
      .post('/api/terminals')
      .set(t.auth(admin))
      .send({
        name: '普通喇叭',
        areaCode: v,
        gatewayId: fx.gateways[v].id,
        unitId: 5,
        model: 'DLB-T200',
        latitude: -31.5,
        longitude: 116.9,
      })
      .expect(201);
    const res = await t.http.get(`/api/terminals?areaCode=${v}&format=csv`).set(t.auth(admin)).buffer(true).expect(200);
    const [row] = parse<Record<string, string>>(res.text, { columns: true });
    expect(row.model).toBe('DLB-T200');
    expect(row.latitude).toBe('-31.5');
  });
});
