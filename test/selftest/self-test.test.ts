/**
 * Periodic tests end to end: a running server with the field on and a simulated county over Modbus TCP (one terminal
 * type without the self-test, one with a speaker line short that only a self-test finds). A technician runs the silent
 * self-test of a terminal and sees its checks; the failure is an alarm; the missed-test report of the day names who
 * was not tested, and exports as CSV and XLSX; and scopes hold: a town's administrator neither sees nor runs another
 * town's tests nor sets the county's audible test.
 */
import ExcelJS from 'exceljs';
import { filter, firstValueFrom } from 'rxjs';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { CommandSigning } from '../../src/field/command-signing';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { shanghaiDay } from '../../src/relay/recurrence';
import { createTestApp, type TestApp } from '../support/app';
import { registerSimulatedCounty } from '../support/county';

const COUNTY = '341523000000';
const UNITS = [1, 2, 3, 4];

jest.setTimeout(90_000);

describe('periodic tests over a simulated county', () => {
  let t: TestApp;
  let network: SimulatedNetwork;
  let terminalIds: Record<number, number>[];
  let towns: string[];
  const tokens: Record<string, string> = {};
  const as = (who: string) => t.auth(tokens[who]);
  const today = shanghaiDay(new Date());

  beforeAll(async () => {
    t = await createTestApp({
      database: 'sqlite',
      env: { DALABA_FIELD: 'on', DALABA_POLL_PAUSE_MS: '200', DALABA_SELFTEST_WINDOW: 'off' },
    });
    const admin = await t.adminToken();
    tokens.admin = admin;
    const county = referenceCounty();
    // two gateways in two towns
    const townOf = (areaCode: string) => `${areaCode.slice(0, 9)}000`;
    const first = county.gateways[0];
    const second = county.gateways.find((g) => townOf(g.areaCode) !== townOf(first.areaCode))!;
    const shape = { ...county, gateways: [first, second] };
    towns = shape.gateways.map((g) => townOf(g.areaCode));
    ({ network } = await startCountyNetwork({
      shape,
      clock: systemClock,
      seed: 7,
      deadFraction: 0,
      noise: 0,
      certificates: [t.app.get(CommandSigning).certificate],
      // unit 3 of every bus runs firmware without the self-test
      selfTest: (terminal) => terminal.unitId !== 3,
    }));
    network.setFault(0, 2, 'speaker-line-short');
    ({ terminalIds } = await registerSimulatedCounty(t, admin, network, {
      regions: [{ code: COUNTY, name: '舒城县' }, ...[...new Set(towns)].map((code, i) => ({ code, name: `镇${i}` }))],
      units: UNITS,
      requestTimeoutMs: 150,
    }));
    tokens.tech = (await t.createUser({ username: 'tech1', roles: ['technician'], scopes: [COUNTY] })).token;
    tokens.townAdmin = (await t.createUser({ username: 'townadmin', roles: ['admin'], scopes: [towns[0]] })).token;
    const monitoring = t.app.get(MonitoringService);
    const all = terminalIds.flatMap((m) => Object.values(m));
    const online = () => all.every((id) => monitoring.terminal(id)?.online === true);
    if (!online()) await firstValueFrom(monitoring.changes.pipe(filter(online)));
  });

  afterAll(async () => {
    await t?.close();
    await network?.stop();
  });

  it('runs a silent self-test and reports every check; a fault it finds is an alarm', async () => {
    const ok = await t.http.post(`/api/terminals/${terminalIds[0][1]}/self-test`).set(as('tech')).expect(200);
    expect(ok.body).toMatchObject({
      terminalId: terminalIds[0][1],
      kind: 'silent',
      origin: 'manual',
      outcome: 'passed',
      requestedBy: 'tech1',
      dueDay: today,
    });
    expect(ok.body.checks.speakerLine).toEqual({ verdict: 'ok', value: 330 });
    expect(ok.body.checks.battery).toEqual({ verdict: 'ok', value: 13.2 });

    const short = await t.http.post(`/api/terminals/${terminalIds[0][2]}/self-test`).set(as('tech')).expect(200);
    expect({ detail: short.body.detail, ...short.body }).toMatchObject({
      outcome: 'failed',
      checks: { speakerLine: { verdict: 'short', value: 2 } },
    });
    const alarms = await t.http.get('/api/alarms?kind=self-test&state=active').set(as('tech')).expect(200);
    expect(alarms.body.items).toEqual([
      expect.objectContaining({ kind: 'self-test', terminalId: terminalIds[0][2], fault: 'speakerLineShort' }),
    ]);

    const old = await t.http.post(`/api/terminals/${terminalIds[0][3]}/self-test`).set(as('tech')).expect(200);
    expect(old.body).toMatchObject({ outcome: 'not-supported', checks: null });

    const history = await t.http.get(`/api/terminals/${terminalIds[0][2]}/self-tests`).set(as('tech')).expect(200);
    expect(history.body.map((r: { outcome: string }) => r.outcome)).toEqual(['failed']);
  });

  it('names the terminals whose test was due and did not run, and exports them without formulas', async () => {
    const r = await t.http.get(`/api/self-tests/missed?date=${today}&areaCode=${COUNTY}`).set(as('tech')).expect(200);
    expect(r.body.summary).toEqual({ due: 8, ran: 2, passed: 1, failed: 1, notSupported: 1, missed: 5 });
    expect(r.body.items.map((i: { terminalId: number; reason: string }) => [i.terminalId, i.reason])).toEqual([
      [terminalIds[0][4], 'not-run'],
      ...UNITS.map((u) => [terminalIds[1][u], 'not-run']),
    ]);
    const csv = await t.http
      .get(`/api/self-tests/missed/export?date=${today}&areaCode=${COUNTY}&format=csv`)
      .set(as('tech'))
      .expect(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe('date,terminalId,name,areaCode,gatewayId,unitId,reason,detail,lastTriedAt');
    expect(lines).toHaveLength(6);
    expect(lines.slice(1).every((l) => !/^[=+\-@]|,[=+\-@]/.test(l))).toBe(true);
    const xlsx = await t.http
      .get(`/api/self-tests/missed/export?date=${today}&areaCode=${COUNTY}&format=xlsx`)
      .set(as('tech'))
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.body as ArrayBuffer);
    const sheet = wb.worksheets[0];
    expect(sheet.rowCount).toBe(6);
    sheet.eachRow((row) => row.eachCell((cell) => expect(cell.formula).toBeUndefined()));
    await t.http.get('/api/self-tests/missed?date=2026-13-01').set(as('tech')).expect(400);
  });

  it('keeps a town administrator to its own town (attack)', async () => {
    const other = terminalIds[1][1];
    await t.http.post(`/api/terminals/${other}/self-test`).set(as('townAdmin')).expect(403);
    await t.http.get(`/api/terminals/${other}/self-tests`).set(as('townAdmin')).expect(403);
    await t.http.get(`/api/self-tests/missed?date=${today}&areaCode=${towns[1]}`).set(as('townAdmin')).expect(403);
    // asked for the whole county, it sees its own town only
    const county = await t.http
      .get(`/api/self-tests/missed?date=${today}&areaCode=${COUNTY}`)
      .set(as('townAdmin'))
      .expect(200);
    expect(county.body.summary.due).toBe(4);
    expect(county.body.items.every((i: { areaCode: string }) => i.areaCode.startsWith(towns[0].slice(0, 9)))).toBe(
      true,
    );
    const csv = await t.http
      .get(`/api/self-tests/missed/export?date=${today}&areaCode=${towns[1]}`)
      .set(as('townAdmin'))
      .expect(403);
    expect(csv.text).not.toContain(String(other));
    const plan = { enabled: true, dayOfMonth: 1, time: '10:00', seconds: 10, volume: 60 };
    await t.http.put(`/api/self-tests/audible-plans/${COUNTY}`).set(as('townAdmin')).send(plan).expect(403);
    await t.http.put(`/api/self-tests/audible-plans/${COUNTY}`).set(as('tech')).send(plan).expect(403);
    // no test ran on the other town's terminal
    const rows = await t.http.get(`/api/terminals/${other}/self-tests`).set(as('tech')).expect(200);
    expect(rows.body).toEqual([]);
  });

  it('lets the county administrator turn the audible monthly test on', async () => {
    const bad = await t.http
      .put(`/api/self-tests/audible-plans/${COUNTY}`)
      .set(as('admin'))
      .send({ enabled: true, dayOfMonth: 31, time: '25:00', seconds: 10, volume: 60 })
      .expect(400);
    expect(JSON.stringify(bad.body)).toContain('dayOfMonth');
    await t.http
      .put(`/api/self-tests/audible-plans/${COUNTY}`)
      .set(as('admin'))
      .send({ enabled: true, dayOfMonth: 1, time: '10:00', seconds: 10, volume: 60 })
      .expect(200);
    const plans = await t.http.get('/api/self-tests/audible-plans').set(as('tech')).expect(200);
    expect(plans.body).toEqual([expect.objectContaining({ areaCode: COUNTY, enabled: true, dayOfMonth: 1 })]);
  });
});
