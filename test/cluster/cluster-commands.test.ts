/**
 * Signed commands across bus owners (docs/cluster.md, "Signed commands across owners"), two servers on one MariaDB
 * database over one simulated gateway: a terminal takes A's commands, A stops, B takes the bus over, and the terminal
 * takes B's commands too, because B's sequence starts above every number A could have signed (a terminal refuses a
 * sequence not above the last it accepted, terminal-modbus PROTOCOL.md §5.2). Waits on lease events and monitoring changes, never on the clock.
 */
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { CommandSigning } from '../../src/field/command-signing';
import { FieldBuses } from '../../src/field/field-buses';
import { createTestApp, type TestApp } from '../support/app';
import { describeWith } from '../support/capabilities';
import { registerSimulatedCounty } from '../support/county';
import { createTestDatabase, type TestDatabase } from '../support/databases';
import { peerDatabase, type PeerDatabase } from './peer-database';
import { changesOf, clusterEnv, FIELD_ON, online, until } from './support/cluster';

// real sockets, real renewals (every 500 ms at a 1.5 s lease)
jest.setTimeout(60_000);

const env = (id: string): Record<string, string> => clusterEnv(id, FIELD_ON);

describeWith(['mysql'], 'signed commands when a bus changes owner [mariadb]', () => {
  let a: TestApp | undefined;
  let b: TestApp | undefined;
  const peers: PeerDatabase[] = [];
  let network: SimulatedNetwork | undefined;
  let db: TestDatabase | undefined;

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await network?.stop();
    for (const p of peers) p.remove();
    await db?.drop();
  });

  it('keeps a terminal taking commands when its bus moves to another instance', async () => {
    // the database outlives A, which stops first
    db = await createTestDatabase('mysql');
    a = await createTestApp({ database: 'mysql', db: { ...db, drop: () => Promise.resolve() }, env: env('ctl-a') });
    const county = referenceCounty();
    ({ network } = await startCountyNetwork({
      shape: { ...county, gateways: county.gateways.slice(0, 1) },
      clock: systemClock,
      seed: 3,
      deadFraction: 0,
      noise: 0,
      certificates: [a.app.get(CommandSigning).certificate],
    }));
    const { gatewayIds, terminalIds } = await registerSimulatedCounty(a, await a.adminToken(), network, {
      regions: [
        { code: '341523000000', name: '舒城县' },
        { code: '341523100000', name: '城关镇' },
      ],
      units: [1, 2],
      requestTimeoutMs: 300,
    });
    const terminal = terminalIds[0][1];
    await until(changesOf(a), () => online(a!, terminal));

    // A signs a few commands the terminal takes
    const onA = a.app.get(FieldBuses);
    let lastOfA = 0;
    for (const volume of [30, 40, 50]) {
      const r = await onA.command(terminal, { code: 'volume', volume });
      expect(r.accepted).toBe(true);
      lastOfA = r.sequence;
    }
    expect((await onA.readStatus(terminal)).lastCommandSequence).toBe(lastOfA);

    // B joins with the cluster's key, A stops: B drives the bus and the terminal takes B's commands
    const peer = peerDatabase(db);
    peers.push(peer);
    b = await createTestApp({ database: 'mysql', db: peer.db, env: env('ctl-b') });
    await a.close();
    a = undefined;
    await until(changesOf(b), () => b!.app.get(FieldBuses).owns(gatewayIds[0]) && online(b!, terminal));
    const onB = b.app.get(FieldBuses);
    const r = await onB.command(terminal, { code: 'volume', volume: 60 });
    expect(r.sequence).toBeGreaterThan(lastOfA);
    expect(r.accepted).toBe(true);
    const status = await onB.readStatus(terminal);
    expect(status.lastCommandSequence).toBe(r.sequence);
    expect(status.volume).toBe(60);
  });
});
