/**
 * The live channel end to end: a running server with the field on over a simulated county of two villages in two
 * different towns; Socket.IO clients on `/live` with the API's JWT. Each client gets a snapshot in the
 * acknowledgement of its subscription, then deltas — and only for its own area scope. Waits on the clients' own
 * messages and monitoring's streams, never on the clock.
 */
import { filter, firstValueFrom, merge, type Observable } from 'rxjs';
import { io, type Socket } from 'socket.io-client';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { CommandSigning } from '../../src/field/command-signing';
import type { LiveDelta } from '../../src/live/live-payload';
import type { SubscribeReply } from '../../src/live/live-hub';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { createTestApp, type TestApp } from '../support/app';
import { registerSimulatedCounty } from '../support/county';

const COUNTY = '341523000000';
const UNITS = [1, 2, 3];

jest.setTimeout(60_000);

/** A connected /live client that records every delta and can wait for one that satisfies a predicate. */
class LiveClient {
  readonly deltas: LiveDelta[] = [];
  private waiters: { holds: (d: LiveDelta) => boolean; resolve: (d: LiveDelta) => void }[] = [];

  private constructor(readonly socket: Socket) {
    socket.on('delta', (d: LiveDelta) => {
      this.deltas.push(d);
      this.waiters = this.waiters.filter((w) => {
        if (!w.holds(d)) return true;
        w.resolve(d);
        return false;
      });
    });
  }

  static connect(baseUrl: string, token: string): Promise<LiveClient> {
    const socket = io(`${baseUrl}/live`, { auth: { token }, transports: ['websocket'], reconnection: false });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => resolve(new LiveClient(socket)));
      socket.once('connect_error', reject);
    });
  }

  subscribe(kind: string, id?: unknown): Promise<SubscribeReply> {
    return this.socket.timeout(10_000).emitWithAck('subscribe', { kind, id }) as Promise<SubscribeReply>;
  }

  next(holds: (d: LiveDelta) => boolean): Promise<LiveDelta> {
    const seen = this.deltas.find(holds);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.waiters.push({ holds, resolve }));
  }

  terminalsSeen(): Set<number> {
    return new Set(this.deltas.flatMap((d) => d.terminals.map((t) => t.id)));
  }

  close(): void {
    this.socket.disconnect();
  }
}

describe('live channel', () => {
  let t: TestApp;
  let admin: string;
  let network: SimulatedNetwork;
  let monitoring: MonitoringService;
  let towns: string[];
  let villages: string[];
  let gatewayIds: number[];
  let terminalIds: Record<number, number>[];
  const clients: LiveClient[] = [];

  const until = async (holds: () => boolean): Promise<void> => {
    if (holds()) return;
    const any: Observable<unknown> = merge(monitoring.changes, monitoring.gatewayEvents);
    await firstValueFrom(any.pipe(filter(() => holds())));
  };
  const online = (id: number): boolean => monitoring.terminal(id)?.online === true;
  const connect = async (
    username: string,
    scopes: string[],
    roles: ('technician' | 'viewer')[] = ['technician'],
  ): Promise<LiveClient> => {
    const { token } = await t.createUser({ username, roles, scopes });
    const c = await LiveClient.connect(t.baseUrl, token);
    clients.push(c);
    return c;
  };

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
    const county = referenceCounty();
    const picked = [
      county.gateways[0],
      county.gateways.find((g) => g.areaCode.slice(6, 9) !== county.gateways[0].areaCode.slice(6, 9))!,
    ];
    const shape = {
      ...county,
      gateways: picked.map((g) => ({ ...g, terminals: g.terminals.filter((x) => UNITS.includes(x.unitId)) })),
    };
    ({ network } = await startCountyNetwork({
      shape,
      clock: systemClock,
      seed: 5,
      deadFraction: 0,
      noise: 0,
      certificates: [t.app.get(CommandSigning).certificate],
    }));
    towns = shape.gateways.map((g) => `${g.areaCode.slice(0, 9)}000`);
    ({ villages, gatewayIds, terminalIds } = await registerSimulatedCounty(t, admin, network, {
      regions: [{ code: COUNTY, name: '舒城县' }, ...towns.map((code, i) => ({ code, name: `镇${i}` }))],
      units: UNITS,
      requestTimeoutMs: 150,
    }));
    await until(() => terminalIds.flatMap((m) => Object.values(m)).every(online));
  });

  afterAll(async () => {
    for (const c of clients) c.close();
    await t?.close();
    await network?.stop();
  });

  it('refuses a connection without a valid token', async () => {
    await expect(LiveClient.connect(t.baseUrl, 'not-a-token')).rejects.toThrow(/invalid or expired token/);
  });

  it('answers a bad subscription with a reason, and a subscription outside the scope with forbidden_area', async () => {
    const c = await connect('tech-a0', [towns[0]]);
    expect(await c.subscribe('planet', 1)).toMatchObject({ ok: false, code: 'invalid_subscription' });
    expect(await c.subscribe('region', '12')).toMatchObject({ ok: false, code: 'invalid_subscription' });
    expect(await c.subscribe('terminal', terminalIds[1][1])).toMatchObject({ ok: false, code: 'forbidden_area' });
    expect(await c.subscribe('region', villages[1])).toMatchObject({ ok: false, code: 'forbidden_area' });
  });

  it("gives two clients with different scopes a snapshot of their own area and then only their own area's changes", async () => {
    const a = await connect('tech-a', [towns[0]]);
    const b = await connect('tech-b', [towns[1]]);
    // both ask for the whole county: each is narrowed to its own town
    const snapA = await a.subscribe('region', COUNTY);
    const snapB = await b.subscribe('region', COUNTY);
    if (!snapA.ok || !snapB.ok) throw new Error('subscription refused');
    expect(snapA.snapshot.terminals.map((x) => x.id).sort()).toEqual(Object.values(terminalIds[0]).sort());
    expect(snapB.snapshot.terminals.map((x) => x.id).sort()).toEqual(Object.values(terminalIds[1]).sort());
    expect(snapA.snapshot.terminals.every((x) => x.online)).toBe(true);
    expect(snapA.snapshot.rates[0]).toEqual({
      areaCode: towns[0],
      registered: 3,
      online: 3,
      unknown: 0,
      ratePercent: 100,
    });
    expect(snapA.snapshot.gateways).toEqual([expect.objectContaining({ id: gatewayIds[0], connection: 'connected' })]);

    const inA = terminalIds[0][2];
    const inB = terminalIds[1][3];
    network.setFault(0, 2, 'dead');
    network.setFault(1, 3, 'dead');
    const deltaA = await a.next((d) => d.terminals.some((x) => x.id === inA && !x.online));
    await b.next((d) => d.terminals.some((x) => x.id === inB && !x.online));
    // the town's rate came with the change: one of three is down
    const rates = a.deltas.flatMap((d) => d.rates).filter((r) => r.areaCode === towns[0]);
    expect(rates[rates.length - 1]).toEqual({
      areaCode: towns[0],
      registered: 3,
      online: 2,
      unknown: 0,
      ratePercent: 66.67,
    });
    expect(deltaA.terminals.find((x) => x.id === inA)).toMatchObject({
      connectivity: 'offline',
      areaCode: villages[0],
    });

    network.setFault(0, 2, 'none');
    network.setFault(1, 3, 'none');
    await a.next((d) => d.terminals.some((x) => x.id === inA && x.online));
    await b.next((d) => d.terminals.some((x) => x.id === inB && x.online));

    const own = (c: LiveClient, i: number) =>
      [...c.terminalsSeen()].every((id) => Object.values(terminalIds[i]).includes(id));
    expect(own(a, 0)).toBe(true);
    expect(own(b, 1)).toBe(true);
    expect(a.deltas.flatMap((d) => d.rates).every((r) => r.areaCode.startsWith(towns[0].slice(0, 9)))).toBe(true);
    expect(b.deltas.flatMap((d) => d.rates).every((r) => r.areaCode.startsWith(towns[1].slice(0, 9)))).toBe(true);
  });

  it('follows one terminal, one gateway and the alarms of the scope', async () => {
    const c = await connect('tech-b2', [towns[1]]);
    const other = await connect('tech-a2', [towns[0]]);
    const term = await c.subscribe('terminal', String(terminalIds[1][1]));
    expect(term).toMatchObject({
      ok: true,
      snapshot: { terminals: [expect.objectContaining({ id: terminalIds[1][1], online: true })] },
    });
    expect(await c.subscribe('gateway', gatewayIds[1])).toMatchObject({
      ok: true,
      snapshot: { gateways: [expect.objectContaining({ id: gatewayIds[1] })] },
    });
    const alarmsNow = await c.subscribe('alarms');
    if (!alarmsNow.ok) throw new Error(alarmsNow.message);
    expect(alarmsNow.snapshot.alarms.every((a) => a.areaCode.startsWith(towns[1].slice(0, 9)))).toBe(true);
    expect(await other.subscribe('alarms')).toMatchObject({ ok: true });

    await network.killGateway(1);
    const down = await c.next((d) => d.gateways.some((g) => g.id === gatewayIds[1] && g.connection === 'disconnected'));
    expect(down.gateways).toHaveLength(1);
    const alarm = await c.next((d) => d.alarms.some((e) => e.type === 'raised' && e.alarm.kind === 'bus-down'));
    expect(alarm.alarms.find((e) => e.type === 'raised')?.alarm).toMatchObject({
      gatewayId: gatewayIds[1],
      areaCode: villages[1],
    });
    await network.reviveGateway(1);
    await c.next((d) => d.alarms.some((e) => e.type === 'cleared' && e.alarm.gatewayId === gatewayIds[1]));
    expect(other.deltas.flatMap((d) => d.alarms).every((e) => e.alarm.areaCode.startsWith(towns[0].slice(0, 9)))).toBe(
      true,
    );
    expect(other.deltas.flatMap((d) => d.gateways)).toEqual([]);
  });
});
