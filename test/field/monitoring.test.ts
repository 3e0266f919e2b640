/**
 * Monitoring end to end over a small simulated county (two villages of one town, four terminals each, Modbus TCP with
 * line timing): the online rate per region drops by the right amount when a terminal dies, the status and its history
 * are served and kept in the database, a killed gateway raises one grouped alarm (not one per terminal) that a
 * technician acknowledges and that clears by itself when the gateway is back; daily roll-ups; scopes.
 * Waits on monitoring's and the alarms' own event streams, never on the clock.
 */
import { filter, firstValueFrom, merge, type Observable } from 'rxjs';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { CommandSigning } from '../../src/field/command-signing';
import { AlarmsService, type PublishedAlarmEvent } from '../../src/monitoring/alarms.service';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { StatusWriter } from '../../src/monitoring/status-writer';
import { createTestApp, type TestApp } from '../support/app';
import { registerSimulatedCounty } from '../support/county';

const COUNTY = '341523000000';
const OTHER_TOWN = '341523101000';
const UNITS = [1, 2, 3, 4];

// real sockets and a real line-timing model: offline takes the configured seconds of silence
jest.setTimeout(60_000);

describe('monitoring over a simulated county', () => {
  let t: TestApp;
  let admin: string;
  let tech: string;
  let network: SimulatedNetwork;
  let monitoring: MonitoringService;
  let alarms: AlarmsService;
  let town: string;
  let villages: string[];
  let gatewayIds: number[];
  let terminalIds: Record<number, number>[];

  const until = async (holds: () => boolean): Promise<void> => {
    if (holds()) return;
    const any: Observable<unknown> = merge(monitoring.changes, monitoring.gatewayEvents);
    await firstValueFrom(any.pipe(filter(() => holds())));
  };
  const online = (id: number): boolean => monitoring.terminal(id)?.online === true;
  const allIds = (): number[] => terminalIds.flatMap((m) => Object.values(m));
  const alarmEvent = (holds: (e: PublishedAlarmEvent) => boolean): Promise<PublishedAlarmEvent> =>
    firstValueFrom(alarms.events.pipe(filter(holds)));

  beforeAll(async () => {
    t = await createTestApp({
      database: 'sqlite',
      env: {
        DALABA_FIELD: 'on',
        DALABA_POLL_PAUSE_MS: '100',
        DALABA_OFFLINE_AFTER_SILENCE: '3',
        DALABA_ALARM_CLEAR_AFTER: '0',
      },
    });
    admin = await t.adminToken();
    monitoring = t.app.get(MonitoringService);
    alarms = t.app.get(AlarmsService);
    const county = referenceCounty();
    const shape = { ...county, gateways: county.gateways.slice(0, 2) };
    town = `${shape.gateways[0].areaCode.slice(0, 9)}000`;
    expect(shape.gateways.every((g) => g.areaCode.startsWith(town.slice(0, 9)))).toBe(true);
    ({ network } = await startCountyNetwork({
      shape,
      clock: systemClock,
      seed: 11,
      deadFraction: 0,
      noise: 0,
      certificates: [t.app.get(CommandSigning).certificate],
    }));
    ({ villages, gatewayIds, terminalIds } = await registerSimulatedCounty(t, admin, network, {
      regions: [
        { code: COUNTY, name: '舒城县' },
        { code: town, name: '城关镇' },
        { code: OTHER_TOWN, name: '干汊河镇' },
      ],
      units: UNITS,
      requestTimeoutMs: 150,
    }));
    tech = (await t.createUser({ username: 'tech-town', roles: ['technician'], scopes: [town] })).token;
    await until(() => allIds().every(online));
  });

  afterAll(async () => {
    await t?.close();
    await network?.stop();
  });

  it('a dead terminal lowers its village, town and county rate by one; its status and history say why', async () => {
    const id = terminalIds[0][2];
    network.setFault(0, 2, 'dead');
    await until(() => !online(id));
    const rate = await t.http
      .get('/api/monitoring/online-rate')
      .query({ areaCode: town })
      .set(t.auth(tech))
      .expect(200);
    expect(rate.body.area).toEqual({ areaCode: town, registered: 8, online: 7, unknown: 0, ratePercent: 87.5 });
    expect(rate.body.children).toEqual([
      { areaCode: villages[0], registered: 4, online: 3, unknown: 0, ratePercent: 75 },
      { areaCode: villages[1], registered: 4, online: 4, unknown: 0, ratePercent: 100 },
    ]);
    const status = await t.http.get(`/api/terminals/${id}/status`).set(t.auth(tech)).expect(200);
    expect(status.body).toMatchObject({
      terminalId: id,
      tracked: true,
      connectivity: 'offline',
      online: false,
      gateway: { gatewayId: gatewayIds[0], connection: 'connected' },
    });
    expect(status.body.lastSeen).not.toBeNull();
    expect(Object.keys(status.body.errorCounts).length).toBeGreaterThan(0);

    network.setFault(0, 2, 'none');
    await until(() => online(id));
    await t.app.get(StatusWriter).flush();
    const history = await t.http.get(`/api/terminals/${id}/status-history`).set(t.auth(tech)).expect(200);
    const steps = (history.body.items as { connectivity: string }[]).map((h) => h.connectivity).reverse();
    expect(steps[0]).toBe('online');
    expect(steps).toContain('offline');
    expect(steps[steps.length - 1]).toBe('online');
    expect(history.body.total).toBe(history.body.items.length);
  });

  it('a killed gateway raises one bus alarm, not one per terminal; acknowledged once; it clears when the gateway is back', async () => {
    const gid = gatewayIds[1];
    const raised = alarmEvent((e) => e.type === 'raised' && e.alarm.kind === 'bus-down' && e.alarm.gatewayId === gid);
    await network.killGateway(1);
    const alarm = (await raised).alarm;
    await until(() => Object.values(terminalIds[1]).every((id) => !online(id)));
    await alarms.evaluate(Date.now());
    const active = await t.http.get('/api/alarms').query({ state: 'active' }).set(t.auth(tech)).expect(200);
    expect(active.body.items).toEqual([
      expect.objectContaining({
        id: alarm.id,
        kind: 'bus-down',
        gatewayId: gid,
        areaCode: villages[1],
        state: 'active',
      }),
    ]);
    expect(active.body.items[0].terminalIds.sort()).toEqual(Object.values(terminalIds[1]).sort());

    const viewer = (await t.createUser({ username: 'viewer-town', roles: ['viewer'], scopes: [town] })).token;
    await t.http.post(`/api/alarms/${alarm.id}/ack`).set(t.auth(viewer)).expect(403);
    const ack = await t.http.post(`/api/alarms/${alarm.id}/ack`).set(t.auth(tech)).expect(200);
    expect(ack.body).toMatchObject({ id: alarm.id, acknowledgedBy: 'tech-town' });
    const again = await t.http.post(`/api/alarms/${alarm.id}/ack`).set(t.auth(tech));
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('alarm_acknowledged');

    const cleared = alarmEvent((e) => e.type === 'cleared' && e.alarm.id === alarm.id);
    await network.reviveGateway(1);
    await until(() => Object.values(terminalIds[1]).every(online));
    expect((await cleared).alarm).toMatchObject({ state: 'cleared', acknowledgedBy: 'tech-town' });
    const after = await t.http.get(`/api/alarms/${alarm.id}`).set(t.auth(tech)).expect(200);
    expect(after.body.state).toBe('cleared');
    const audit = await t.http.get('/api/audit').query({ entityType: 'alarm' }).set(t.auth(admin)).expect(200);
    expect(audit.body.items.map((e: { action: string }) => e.action)).toContain('alarm.acknowledge');
  });

  it('rolls samples of every region up by day', async () => {
    const writer = t.app.get(StatusWriter);
    const at = new Date();
    await writer.sampleOnlineRates(at);
    await writer.sampleOnlineRates(at);
    const res = await t.http
      .get('/api/monitoring/online-rate/daily')
      .query({ areaCode: town })
      .set(t.auth(tech))
      .expect(200);
    expect(res.body.items).toHaveLength(1);
    expect(res.body.items[0]).toMatchObject({ samples: 2 });
    expect(res.body.items[0].ratePercent).toBeGreaterThan(0);
    const bad = await t.http
      .get('/api/monitoring/online-rate/daily')
      .query({ areaCode: town, from: '2026/01/01' })
      .set(t.auth(tech));
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.details)).toContain('from');
  });

  it("keeps every answer inside the user's scope", async () => {
    const outsider = (await t.createUser({ username: 'tech-other', roles: ['technician'], scopes: [OTHER_TOWN] }))
      .token;
    await t.http.get(`/api/terminals/${terminalIds[0][1]}/status`).set(t.auth(outsider)).expect(403);
    await t.http.get('/api/monitoring/online-rate').query({ areaCode: town }).set(t.auth(outsider)).expect(403);
    const list = await t.http.get('/api/alarms').set(t.auth(outsider)).expect(200);
    expect(list.body).toEqual({ items: [], total: 0 });
  });

  it('shuts down promptly when its gateways go away meanwhile (polls queued on a bus that is down are not waited for)', async () => {
    const app = t;
    t = undefined as unknown as TestApp;
    const gone = Promise.all([network.killGateway(0), network.killGateway(1)]);
    await app.close();
    await gone;
  });
});
