/**
 * Monitoring across two servers sharing one MariaDB database (DALABA_CLUSTER=on, docs/cluster.md "Monitoring across
 * instances"), over one simulated county of two gateways, one bus each: B's online rates (REST and monitoring), its
 * /live snapshots, a terminal's status and the terminal status report up count the terminals of A's bus too, a
 * terminal dying on A's bus shows in B's numbers and in a rate pushed to B's /live client, and a village
 * administrator on B sees only his village, whichever instance drives it. Waits on lease events, monitoring changes,
 * the rates B counts in and the client's own messages, never on the clock.
 */
import { io, type Socket } from 'socket.io-client';
import { merge } from 'rxjs';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { busKey, LeaseManager } from '../../src/cluster/lease-manager';
import { CommandSigning } from '../../src/field/command-signing';
import type { SubscribeReply } from '../../src/live/live-hub';
import type { LiveDelta } from '../../src/live/live-payload';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import type { OnlineRate } from '../../src/monitoring/online-rate';
import { SharedMonitoring } from '../../src/monitoring/shared-monitoring';
import type { EbdPayload } from '../../firmware-protocols/ebd';
import { UpstreamOutbox } from '../../src/upstream/upstream-outbox';
import { UpstreamReporter } from '../../src/upstream/upstream-reporter';
import type { UpstreamSenderEntity } from '../../src/upstream/upstream.entities';
import { createTestApp, type TestApp } from '../support/app';
import { describeWith } from '../support/capabilities';
import { registerSimulatedCounty } from '../support/county';
import { peerDatabase, type PeerDatabase } from './peer-database';
import { changesOf, clusterEnv, FIELD_ON, until } from './support/cluster';

const COUNTY = '341523000000';
const TOWN = '341523100000';
const UNITS = [1, 2, 3];

// real sockets, real renewals (every 500 ms at a 1.5 s lease), the published buses read every second
jest.setTimeout(90_000);

const env = (id: string): Record<string, string> => clusterEnv(id, FIELD_ON);

/** A /live client: its subscriptions, and a wait for a delta that holds. */
async function connect(baseUrl: string, token: string) {
  const socket: Socket = io(`${baseUrl}/live`, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const deltas: LiveDelta[] = [];
  const waiters: { holds: (d: LiveDelta) => boolean; resolve: () => void }[] = [];
  socket.on('delta', (d: LiveDelta) => {
    deltas.push(d);
    for (const w of [...waiters])
      if (w.holds(d)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
  });
  const delta = (holds: (d: LiveDelta) => boolean): Promise<void> =>
    deltas.some(holds) ? Promise.resolve() : new Promise((resolve) => waiters.push({ holds, resolve }));
  const subscribe = async (kind: string, id: string | number | null): Promise<SubscribeReply> =>
    (await socket.timeout(10_000).emitWithAck('subscribe', { kind, id })) as SubscribeReply;
  return { socket, delta, subscribe };
}

describeWith(['mysql'], 'monitoring across two instances [mariadb]', () => {
  let a: TestApp | undefined;
  let b: TestApp | undefined;
  let peer: PeerDatabase | undefined;
  let network: SimulatedNetwork | undefined;
  const sockets: Socket[] = [];

  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await b?.close();
    await a?.close();
    await network?.stop();
    peer?.remove();
  });

  const heldBus = (t: TestApp, gatewayIds: number[]): number => {
    const held = gatewayIds.filter((g) => t.app.get(LeaseManager).holds(busKey(g)));
    expect(held).toHaveLength(1);
    return held[0];
  };

  it("counts on B the terminals of A's bus: rates, snapshots, a terminal's status, the report up, within scopes", async () => {
    a = await createTestApp({ database: 'mysql', env: env('ctl-a') });
    const county = referenceCounty();
    ({ network } = await startCountyNetwork({
      shape: { ...county, gateways: county.gateways.slice(0, 2) },
      clock: systemClock,
      seed: 11,
      deadFraction: 0,
      noise: 0,
      certificates: [a.app.get(CommandSigning).certificate],
    }));
    const { gatewayIds, terminalIds, villages } = await registerSimulatedCounty(a, await a.adminToken(), network, {
      regions: [
        { code: COUNTY, name: '舒城县' },
        { code: TOWN, name: '城关镇' },
      ],
      units: UNITS,
      requestTimeoutMs: 300,
    });
    peer = peerDatabase(a.db);
    b = await createTestApp({ database: 'mysql', db: peer.db, env: env('ctl-b') });
    const [ta, tb] = [a, b];
    const rateOn = (t: TestApp, areaCode: string): OnlineRate => t.app.get(MonitoringService).onlineRate(areaCode);
    const events = merge(changesOf(ta, tb), tb.app.get(SharedMonitoring).rateChanges);
    const counted = (online: number) => (): boolean =>
      rateOn(tb, COUNTY).registered === 6 && rateOn(tb, COUNTY).online === online;

    // one bus each; then B counts all six terminals online, three of them polled by A
    const buses = (t: TestApp): number => gatewayIds.filter((g) => t.app.get(LeaseManager).holds(busKey(g))).length;
    await until(events, () => buses(ta) === 1 && buses(tb) === 1);
    await until(events, counted(6));
    const onA = heldBus(ta, gatewayIds);
    const onB = heldBus(tb, gatewayIds);
    expect(onA).not.toBe(onB);
    const iA = gatewayIds.indexOf(onA);
    const aTerminals = UNITS.map((u) => terminalIds[iA][u]);
    expect(aTerminals.map((id) => tb.app.get(MonitoringService).terminal(id))).toEqual([
      undefined,
      undefined,
      undefined,
    ]);

    // REST on B: the county and its town, all six
    const admin = await tb.adminToken();
    const rest = await tb.http.get(`/api/monitoring/online-rate?areaCode=${COUNTY}`).set(tb.auth(admin)).expect(200);
    expect(rest.body).toMatchObject({
      area: { areaCode: COUNTY, registered: 6, online: 6, ratePercent: 100 },
      children: [{ areaCode: TOWN, registered: 6, online: 6 }],
    });
    const status = await tb.http.get(`/api/terminals/${aTerminals[0]}/status`).set(tb.auth(admin)).expect(200);
    expect(status.body).toMatchObject({
      terminalId: aTerminals[0],
      gatewayId: onA,
      tracked: true,
      connectivity: 'online',
      online: true,
      gateway: { gatewayId: onA, connection: 'connected' },
    });
    expect(status.body.reading).not.toBeNull();

    // /live on B: the county's snapshot has every terminal and both gateways
    const countyClient = await connect(tb.baseUrl, admin);
    sockets.push(countyClient.socket);
    const region = await countyClient.subscribe('region', COUNTY);
    if (!region.ok) throw new Error(region.message);
    expect(region.snapshot.terminals.map((t) => t.id).sort()).toEqual(
      terminalIds.flatMap((r) => Object.values(r)).sort(),
    );
    expect(region.snapshot.terminals.every((t) => t.connectivity === 'online')).toBe(true);
    expect(region.snapshot.gateways.map((g) => g.id).sort()).toEqual([...gatewayIds].sort());
    expect(region.snapshot.rates[0]).toMatchObject({ areaCode: COUNTY, registered: 6, online: 6 });
    const gateway = await countyClient.subscribe('gateway', onA);
    expect(gateway).toMatchObject({ ok: true, snapshot: { gateways: [{ id: onA, connection: 'connected' }] } });
    if (gateway.ok) expect(gateway.snapshot.terminals.map((t) => t.id).sort()).toEqual([...aTerminals].sort());

    // scopes: an administrator of A's village on B sees that village only, the other village's sees none of it
    const villageOf = (i: number): string => villages[i];
    const ofA = await tb.createUser({ username: 'admin-a', roles: ['admin'], scopes: [villageOf(iA)] });
    const ofB = await tb.createUser({ username: 'admin-b', roles: ['admin'], scopes: [villageOf(1 - iA)] });
    await tb.http.get(`/api/monitoring/online-rate?areaCode=${COUNTY}`).set(tb.auth(ofA.token)).expect(403);
    const village = await tb.http
      .get(`/api/monitoring/online-rate?areaCode=${villageOf(iA)}`)
      .set(tb.auth(ofA.token))
      .expect(200);
    expect(village.body.area).toMatchObject({ registered: 3, online: 3 });
    const villageClient = await connect(tb.baseUrl, ofA.token);
    const otherClient = await connect(tb.baseUrl, ofB.token);
    sockets.push(villageClient.socket, otherClient.socket);
    const narrowed = await villageClient.subscribe('region', COUNTY);
    if (!narrowed.ok) throw new Error(narrowed.message);
    expect(narrowed.snapshot.terminals.map((t) => t.id).sort()).toEqual([...aTerminals].sort());
    expect(narrowed.snapshot.rates.map((r) => [r.areaCode, r.registered])).toEqual([[villageOf(iA), 3]]);
    const other = await otherClient.subscribe('region', COUNTY);
    if (!other.ok) throw new Error(other.message);
    expect(other.snapshot.terminals.map((t) => t.id).filter((id) => aTerminals.includes(id))).toEqual([]);
    await expect(otherClient.subscribe('terminal', aTerminals[0])).resolves.toMatchObject({
      ok: false,
      code: 'forbidden_area',
    });
    await expect(otherClient.subscribe('gateway', onA)).resolves.toMatchObject({ ok: false, code: 'forbidden_area' });

    // a terminal dies on A's bus: B's rates follow, and B's county client is sent the county's new rate
    network.setFault(iA, UNITS[0], 'dead');
    await until(events, counted(5));
    expect(rateOn(tb, villageOf(iA))).toMatchObject({ registered: 3, online: 2 });
    await countyClient.delta((d) => d.rates.some((r) => r.areaCode === COUNTY && r.online === 5));

    // the terminal status report up, made on B, covers A's terminals and the county's rate
    const sent: EbdPayload[] = [];
    jest.spyOn(tb.app.get(UpstreamOutbox), 'enqueue').mockImplementation((_sender, payload) => {
      sent.push(payload);
      return Promise.resolve(null);
    });
    await tb.app.get(UpstreamReporter).sendTerminalState({ id: 1 } as UpstreamSenderEntity);
    expect(sent).toHaveLength(1);
    const report = sent[0];
    if (report.type !== 'EBRDTState') throw new Error(`unexpected ${report.type}`);
    expect(report.terminals.onlineRate).toBeCloseTo(5 / 6, 4);
    expect(report.terminals.entries.filter((e) => e.state === 1)).toHaveLength(5);
    expect(report.terminals.entries).toHaveLength(6);
  });
});
