/**
 * Registry changes across two instances on one MariaDB database (docs/cluster.md, "Registry changes across
 * instances"): a terminal added through A on the bus B holds is polled by B; a gateway added through A becomes a bus
 * key on both and is driven by one of them; a gateway disabled through B is closed by A, which held it. Waits on lease
 * and monitoring events of both instances, never on the clock.
 */
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { busKey, LeaseManager } from '../../src/cluster/lease-manager';
import { CommandSigning } from '../../src/field/command-signing';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { createTestApp, type TestApp } from '../support/app';
import { describeWith } from '../support/capabilities';
import { registerSimulatedCounty } from '../support/county';
import { peerDatabase, type PeerDatabase } from './peer-database';
import { changesOf, clusterEnv, FIELD_ON, online, opened, until } from './support/cluster';

jest.setTimeout(120_000);

const env = (id: string): Record<string, string> => clusterEnv(id, { ...FIELD_ON, DALABA_PROVISION_TONES: 'off' });

describeWith(['mysql'], 'registry changes across two instances [mariadb]', () => {
  let a: TestApp | undefined;
  let b: TestApp | undefined;
  let peer: PeerDatabase | undefined;
  let network: SimulatedNetwork | undefined;

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await network?.stop();
    peer?.remove();
    await a?.db.drop();
  });

  const apps = (): TestApp[] => [a, b].filter((t): t is TestApp => t !== undefined);
  const holds = (t: TestApp, g: number): boolean => t.app.get(LeaseManager).holds(busKey(g));

  it('brings a terminal, a gateway and a gateway disabled through one instance to the other', async () => {
    a = await createTestApp({ database: 'mysql', env: env('ctl-a') });
    const county = referenceCounty();
    ({ network } = await startCountyNetwork({
      shape: { ...county, gateways: county.gateways.slice(0, 3) },
      clock: systemClock,
      seed: 5,
      deadFraction: 0,
      noise: 0,
      certificates: [a.app.get(CommandSigning).certificate],
    }));
    const adminA = await a.adminToken();
    const first = await registerSimulatedCounty(
      a,
      adminA,
      { gateways: network.gateways.slice(0, 2) } as SimulatedNetwork,
      {
        regions: [
          { code: '341523000000', name: '舒城县' },
          { code: '341523100000', name: '城关镇' },
        ],
        units: [1, 2],
        requestTimeoutMs: 300,
      },
    );
    peer = peerDatabase(a.db);
    b = await createTestApp({ database: 'mysql', db: peer.db, env: env('ctl-b') });
    await until(
      changesOf(...apps()),
      () => first.gatewayIds.every((g) => holds(a!, g) !== holds(b!, g)) && opened(b!).length === 1,
    );
    const [onB] = opened(b);
    const [onA] = first.gatewayIds.filter((g) => g !== onB);

    // a terminal added through A on B's bus: B polls it
    const village = first.villages[first.gatewayIds.indexOf(onB)];
    const added = await a.http
      .post('/api/terminals')
      .set(a.auth(adminA))
      .send({ name: '新装喇叭', areaCode: village, gatewayId: onB, unitId: 3 })
      .expect(201);
    const terminalId = (added.body as { id: number }).id;
    await until(changesOf(...apps()), () => online(b!, terminalId));
    expect(a.app.get(MonitoringService).terminal(terminalId)).toBeUndefined();

    // a gateway added through A: a bus of the cluster on both, driven by one of them, its terminals polled there
    const third = await registerSimulatedCounty(
      a,
      adminA,
      { gateways: network.gateways.slice(2) } as SimulatedNetwork,
      {
        regions: [],
        units: [1, 2],
        requestTimeoutMs: 300,
      },
    );
    const [g3] = third.gatewayIds;
    const driver = (): TestApp | undefined => apps().find((t) => holds(t, g3) && opened(t).includes(g3));
    await until(changesOf(...apps()), () => {
      const t = driver();
      return t !== undefined && [1, 2].every((u) => online(t, third.terminalIds[0][u]));
    });
    expect(apps().filter((t) => holds(t, g3))).toHaveLength(1);

    // a gateway disabled through B that A drives: A closes its bus, nobody drives it
    const adminB = await b.adminToken();
    await b.http.patch(`/api/gateways/${onA}`).set(b.auth(adminB)).send({ enabled: false }).expect(200);
    await until(changesOf(...apps()), () => !opened(a!).includes(onA) && !holds(a!, onA));
    expect(opened(b)).not.toContain(onA);
  });
});
