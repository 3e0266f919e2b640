/**
 * The field module end to end: a running server with the field on, a small simulated county (two villages, Modbus TCP,
 * line timing on) whose terminals trust the server's own signing certificate, registered through the API while the
 * server runs. Buses open by themselves, terminals come online, a dead terminal goes offline and comes back, a killed
 * gateway is reconnected by itself, registry edits take effect without a restart, and technicians' diagnostics reach
 * the terminal (signed, audited, scoped). Waits on monitoring's own change streams, never on the clock.
 */
import { existsSync } from 'node:fs';
import { filter, firstValueFrom, merge, type Observable } from 'rxjs';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { CommandSequence } from '../../src/field/command-sequence';
import { CommandSigning } from '../../src/field/command-signing';
import { FieldBuses } from '../../src/field/field-buses';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { createTestApp, type TestApp } from '../support/app';
import { registerSimulatedCounty } from '../support/county';

const COUNTY = '341523000000';
const TOWN = '341523100000';
const OTHER_TOWN = '341523101000';
const UNITS = [1, 2, 3, 4];

// real sockets and a real line-timing model: offline takes the configured seconds of silence
jest.setTimeout(30_000);

describe('field module over a simulated county', () => {
  let t: TestApp;
  let admin: string;
  let network: SimulatedNetwork;
  let monitoring: MonitoringService;
  let field: FieldBuses;
  let gatewayIds: number[];
  /** terminal ids by [gateway index][unit] */
  let terminalIds: Record<number, number>[];

  const anyChange = (): Observable<unknown> => merge(monitoring.changes, monitoring.gatewayEvents);
  /** Resolves once `holds()` is true, checking again on every monitoring change. */
  const until = async (holds: () => boolean): Promise<void> => {
    if (holds()) return;
    await firstValueFrom(anyChange().pipe(filter(() => holds())));
  };
  const online = (id: number): boolean => monitoring.terminal(id)?.online === true;

  beforeAll(async () => {
    t = await createTestApp({
      database: 'sqlite',
      env: { DALABA_FIELD: 'on', DALABA_POLL_PAUSE_MS: '100', DALABA_OFFLINE_AFTER_SILENCE: '3' },
    });
    admin = await t.adminToken();
    monitoring = t.app.get(MonitoringService);
    field = t.app.get(FieldBuses);
    const county = referenceCounty();
    const shape = { ...county, gateways: county.gateways.slice(0, 2) };
    ({ network } = await startCountyNetwork({
      shape,
      clock: systemClock,
      seed: 7,
      deadFraction: 0,
      noise: 0,
      certificates: [t.app.get(CommandSigning).certificate],
    }));
    ({ gatewayIds, terminalIds } = await registerSimulatedCounty(t, admin, network, {
      regions: [
        { code: COUNTY, name: '舒城县' },
        { code: TOWN, name: '城关镇' },
        { code: OTHER_TOWN, name: '干汊河镇' },
      ],
      units: UNITS,
      requestTimeoutMs: 150,
    }));
  });

  afterAll(async () => {
    await t?.close();
    await network?.stop();
  });

  it('opens a bus for every gateway registered while it runs and brings its terminals online', async () => {
    const all = terminalIds.flatMap((m) => Object.values(m));
    await until(() => all.every(online));
    expect(field.busStates().map((b) => [b.gatewayId, b.connection, b.units])).toEqual(
      gatewayIds.map((id) => [id, 'connected', UNITS.length]),
    );
    const s = monitoring.terminal(all[0]);
    expect(s?.reading).toMatchObject({ state: 1, source: 'none' });
    expect(monitoring.onlineRate(TOWN)).toMatchObject({ online: all.length, registered: all.length });
  });

  it('takes a dead terminal offline within the window and back online when it answers again', async () => {
    const id = terminalIds[0][2];
    await until(() => online(id));
    network.setFault(0, 2, 'dead');
    await until(() => !online(id));
    expect(monitoring.onlineRate(TOWN).online).toBe(UNITS.length * 2 - 1);
    network.setFault(0, 2, 'none');
    await until(() => online(id));
  });

  it('reports a killed gateway disconnected and reconnects it by itself when it is back', async () => {
    const gid = gatewayIds[1];
    await until(() => monitoring.gateway(gid)?.connection === 'connected');
    await network.killGateway(1);
    await until(() => monitoring.gateway(gid)?.connection === 'disconnected');
    await network.reviveGateway(1);
    await until(() => monitoring.gateway(gid)?.connection === 'connected');
    await until(() => Object.values(terminalIds[1]).every(online));
  });

  it('follows registry edits without a restart: a disabled terminal is no longer polled, a disabled gateway is closed', async () => {
    const id = terminalIds[1][4];
    const res = await t.http.patch(`/api/terminals/${id}`).set(t.auth(admin)).send({ enabled: false });
    expect(res.status).toBe(200);
    await field.settled();
    expect(field.locate(id)).toBeNull();
    expect(monitoring.terminal(id)).toBeUndefined();
    await t.http.patch(`/api/terminals/${id}`).set(t.auth(admin)).send({ enabled: true }).expect(200);
    await field.settled();
    expect(field.locate(id)).toEqual({ terminalId: id, gatewayId: gatewayIds[1], unit: 4 });
    await until(() => online(id));

    await t.http.patch(`/api/gateways/${gatewayIds[1]}`).set(t.auth(admin)).send({ enabled: false }).expect(200);
    await field.settled();
    expect(field.connection(gatewayIds[1])).toBeNull();
    expect(monitoring.gateway(gatewayIds[1])).toBeUndefined();
    await t.http.patch(`/api/gateways/${gatewayIds[1]}`).set(t.auth(admin)).send({ enabled: true }).expect(200);
    await field.settled();
    await until(() => Object.values(terminalIds[1]).every(online));
  });

  describe('diagnostics', () => {
    let tech: string;

    beforeAll(async () => {
      tech = (await t.createUser({ username: 'tech-town', roles: ['technician'], scopes: [TOWN] })).token;
    });

    it('plays a test tone on the terminal, signed, and reads back that it plays; the command is audited', async () => {
      const id = terminalIds[0][1];
      await until(() => online(id));
      const res = await t.http
        .post(`/api/terminals/${id}/test-tone`)
        .set(t.auth(tech))
        .send({ seconds: 5, volume: 40 });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        terminalId: id,
        action: 'test-tone',
        gatewayId: gatewayIds[0],
        unit: 1,
        accepted: true,
      });
      expect(res.body.status).toMatchObject({ state: 5, source: 'tone', volume: 40 });
      expect(existsSync(CommandSequence.file(t.config.dataDir))).toBe(true);
      const audit = await t.http.get('/api/audit').query({ entityType: 'terminal' }).set(t.auth(admin)).expect(200);
      expect(
        audit.body.items.some(
          (e: { action: string; entityId: string }) =>
            e.action === 'terminal.test_tone' && String(e.entityId) === String(id),
        ),
      ).toBe(true);
    });

    it('sets the volume and reads registers within bounds; refuses a read over 64 registers', async () => {
      const id = terminalIds[0][3];
      const vol = await t.http.post(`/api/terminals/${id}/volume`).set(t.auth(tech)).send({ volume: 77 }).expect(200);
      expect(vol.body.status).toMatchObject({ volume: 77 });
      const regs = await t.http
        .get(`/api/terminals/${id}/registers`)
        .query({ address: 0, count: 8 })
        .set(t.auth(tech))
        .expect(200);
      expect(regs.body.values).toHaveLength(8);
      const tooMany = await t.http
        .get(`/api/terminals/${id}/registers`)
        .query({ address: 0, count: 65 })
        .set(t.auth(tech));
      expect(tooMany.status).toBe(400);
      expect(JSON.stringify(tooMany.body.details)).toContain('count');
    });

    it('answers 504 naming the terminal when it does not answer', async () => {
      const id = terminalIds[0][4];
      network.setFault(0, 4, 'dead');
      try {
        const res = await t.http.post(`/api/terminals/${id}/reboot`).set(t.auth(tech)).send({});
        expect(res.status).toBe(504);
        expect(res.body).toMatchObject({ code: 'terminal_unreachable' });
        expect(res.body.message).toContain(`terminal ${id}`);
      } finally {
        network.setFault(0, 4, 'none');
      }
    });

    it('reads a repaired terminal at once on request, ahead of the sweep and its backoff, and shows it online', async () => {
      const id = terminalIds[1][2];
      network.setFault(1, 2, 'dead');
      await until(() => !online(id));
      const down = await t.http.post(`/api/terminals/${id}/poll`).set(t.auth(tech));
      expect(down.status).toBe(504);
      network.setFault(1, 2, 'none');
      const res = await t.http.post(`/api/terminals/${id}/poll`).set(t.auth(tech)).expect(200);
      expect(res.body).toMatchObject({ terminalId: id, status: { state: 1 } });
      expect(online(id)).toBe(true);
    });

    it('refuses a viewer (403) and a technician of another town (403)', async () => {
      const id = terminalIds[0][1];
      const viewer = (await t.createUser({ username: 'viewer-town', roles: ['viewer'], scopes: [TOWN] })).token;
      const outsider = (await t.createUser({ username: 'tech-other', roles: ['technician'], scopes: [OTHER_TOWN] }))
        .token;
      const v = await t.http.post(`/api/terminals/${id}/test-tone`).set(t.auth(viewer)).send({});
      expect(v.status).toBe(403);
      const o = await t.http.post(`/api/terminals/${id}/test-tone`).set(t.auth(outsider)).send({});
      expect(o.status).toBe(403);
      expect(o.body.code).toBe('forbidden_area');
    });

    it("shows a bus's figures to a technician", async () => {
      const res = await t.http.get(`/api/gateways/${gatewayIds[0]}/bus`).set(t.auth(tech)).expect(200);
      expect(res.body).toMatchObject({ gatewayId: gatewayIds[0], open: true, metrics: { connection: 'connected' } });
      expect(res.body.metrics.transactions).toBeGreaterThan(0);
    });
  });
});
