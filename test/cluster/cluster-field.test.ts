/**
 * Two servers sharing one MariaDB database (DALABA_CLUSTER=on, docs/cluster.md) over one simulated county of two
 * gateways: the buses are split between them, each polls only the one it holds (the other's terminals are not even
 * tracked there, and a request for them fails at once naming the bus and its holder), /health names the buses with
 * their epochs and the peer; once one server closes, the other takes its bus over and polls it. Waits on lease events
 * and monitoring changes, never on the clock.
 */
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { LeaseManager, busKey } from '../../src/cluster/lease-manager';
import { BusElsewhereError } from '../../src/field/bus-leases';
import { CommandSigning } from '../../src/field/command-signing';
import { FieldBuses } from '../../src/field/field-buses';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { createTestApp, type TestApp } from '../support/app';
import { describeWith } from '../support/capabilities';
import { registerSimulatedCounty } from '../support/county';
import { peerDatabase, type PeerDatabase } from './peer-database';
import { changesOf, clusterEnv, FIELD_ON, online, opened, until } from './support/cluster';

const COUNTY = '341523000000';
const TOWN = '341523100000';
const UNITS = [1, 2, 3];

// real sockets, real renewals (every 500 ms at a 1.5 s lease)
jest.setTimeout(60_000);

const env = (id: string): Record<string, string> => clusterEnv(id, FIELD_ON);

describeWith(['mysql'], 'field buses shared by two instances [mariadb]', () => {
  let a: TestApp | undefined;
  let b: TestApp | undefined;
  let peer: PeerDatabase | undefined;
  let network: SimulatedNetwork | undefined;

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await network?.stop();
    peer?.remove();
  });

  const buses = (t: TestApp): string[] =>
    t.app
      .get(LeaseManager)
      .heldKeys()
      .filter((k) => k.startsWith('bus:'));

  it('splits the buses, each instance polls its own, and the survivor takes over the buses of a closed one', async () => {
    a = await createTestApp({ database: 'mysql', env: env('ctl-a') });
    const county = referenceCounty();
    ({ network } = await startCountyNetwork({
      shape: { ...county, gateways: county.gateways.slice(0, 2) },
      clock: systemClock,
      seed: 7,
      deadFraction: 0,
      noise: 0,
      certificates: [a.app.get(CommandSigning).certificate],
    }));
    const { gatewayIds, terminalIds } = await registerSimulatedCounty(a, await a.adminToken(), network, {
      regions: [
        { code: COUNTY, name: '舒城县' },
        { code: TOWN, name: '城关镇' },
      ],
      units: UNITS,
      requestTimeoutMs: 300,
    });
    const terminalsOf = (gatewayId: number): number[] =>
      UNITS.map((u) => terminalIds[gatewayIds.indexOf(gatewayId)][u]);
    const allOnline = (t: TestApp, gatewayId: number): boolean => terminalsOf(gatewayId).every((id) => online(t, id));

    // alone, A takes both buses and polls every terminal
    const bothKeys = gatewayIds.map(busKey).sort();
    await until(changesOf(a), () => buses(a!).join() === bothKeys.join());
    await until(changesOf(a), () => gatewayIds.every((g) => allOnline(a!, g)));

    // B joins on the same database (its own data folder, the cluster's key): the buses are split, one each
    peer = peerDatabase(a.db);
    b = await createTestApp({ database: 'mysql', db: peer.db, env: env('ctl-b') });
    await until(changesOf(b), () => buses(b!).length === 1);
    await until(changesOf(a), () => buses(a!).length === 1);
    const [onA] = gatewayIds.filter((g) => buses(a!).includes(busKey(g)));
    const [onB] = gatewayIds.filter((g) => buses(b!).includes(busKey(g)));
    expect(onA).toBeDefined();
    expect(onB).toBeDefined();
    expect(onA).not.toBe(onB);

    // each polls only its own bus: the other's is closed there, its terminals not tracked
    await until(changesOf(b), () => allOnline(b!, onB));
    expect(opened(a)).toEqual([onA]);
    expect(opened(b)).toEqual([onB]);
    expect(a.app.get(FieldBuses).owns(onB)).toBe(false);
    expect(terminalsOf(onB).map((id) => a!.app.get(MonitoringService).terminal(id))).toEqual(
      terminalsOf(onB).map(() => undefined),
    );
    expect(terminalsOf(onA).map((id) => b!.app.get(MonitoringService).terminal(id))).toEqual(
      terminalsOf(onA).map(() => undefined),
    );

    // a request for B's terminal on A fails at once, naming the bus and its holder
    const refused = a.app.get(FieldBuses).readStatus(terminalsOf(onB)[0]);
    await expect(refused).rejects.toBeInstanceOf(BusElsewhereError);
    // (the holder is named once A's renewal has read the lease B took; until then, "another instance")
    await expect(refused).rejects.toThrow(
      new RegExp(`^bus:${onB} \\(gateway ${onB}\\) is driven by (instance ctl-b|another instance) of the cluster`),
    );

    // each singleton runs on one instance: A, which came first, took them all
    const singletons = [
      'relay-planner',
      'upstream-outbox',
      'upstream-reports',
      'alert-expiry',
      'alarms',
      'rate-samples',
    ].map((n) => `singleton:${n}`);
    for (const key of singletons) {
      expect(a.app.get(LeaseManager).holds(key)).toBe(true);
      expect(b.app.get(LeaseManager).holds(key)).toBe(false);
    }

    // /health: this instance, its bus and singletons with their epochs, its peer
    const health = await a.http.get('/health').expect(200);
    const cluster = (health.body as { details: Record<string, Record<string, unknown>> }).details.cluster;
    expect(cluster).toMatchObject({
      status: 'up',
      instanceId: 'ctl-a',
      buses: [{ key: busKey(onA), epoch: a.app.get(LeaseManager).epochOf(busKey(onA)) }],
      singletons: singletons.sort().map((key) => ({ key, epoch: a!.app.get(LeaseManager).epochOf(key) })),
      peers: [{ id: 'ctl-b' }],
    });

    // B closes (releasing its lease): A takes its bus over at a higher epoch and polls it
    const epochOnB = b.app.get(LeaseManager).epochOf(busKey(onB)) as number;
    await b.close();
    b = undefined;
    await until(changesOf(a), () => buses(a!).length === 2);
    expect(a.app.get(LeaseManager).epochOf(busKey(onB))).toBe(epochOnB + 1);
    await until(changesOf(a), () => allOnline(a!, onB));
    expect(opened(a).sort()).toEqual([...gatewayIds].sort());

    const metrics = await a.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^dalaba_cluster_bus_takeovers_total 1$/m);
    expect(metrics.text).toMatch(/^dalaba_cluster_buses_held 2$/m);
  });
});
