/**
 * Dispatch across two instances on one MariaDB database (docs/cluster.md, "Dispatch across instances"), over a
 * simulated county of four gateways split between them: a broadcast launched through A is run by each holder on its
 * own buses and concluded once; a cancel through B stops A's terminals too; a holder that closes in the middle of a
 * play leaves its buses to the other, which continues from the rows and starts none of them twice. Waits on progress,
 * lease and monitoring events, never on the clock.
 */
import { filter, firstValueFrom, map, merge, type Observable } from 'rxjs';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { busKey, LeaseManager } from '../../src/cluster/lease-manager';
import { Transactions } from '../../src/database/transactions';
import { isFinalBroadcastState } from '../../src/dispatch/broadcast-lifecycle';
import { isBroadcasting } from '../../src/dispatch/bus-plan';
import { DispatchService, type BroadcastProgress } from '../../src/dispatch/dispatch.service';
import { CommandSigning } from '../../src/field/command-signing';
import { FieldBuses } from '../../src/field/field-buses';
import { createTestApp, type TestApp } from '../support/app';
import { describeWith } from '../support/capabilities';
import { registerSimulatedCounty } from '../support/county';
import { order } from '../dispatch/county';
import { peerDatabase, type PeerDatabase } from './peer-database';
import { BROADCASTS_ON, changesOf, clusterEnv, online, until } from './support/cluster';

const UNITS = [1, 2, 3];

// real sockets, real renewals (every 500 ms at a 1.5 s lease), chimes played on simulated terminals
jest.setTimeout(120_000);

const env = (id: string): Record<string, string> => clusterEnv(id, BROADCASTS_ON);

describeWith(['mysql'], 'dispatch across two instances [mariadb]', () => {
  let a: TestApp | undefined;
  let b: TestApp | undefined;
  let peer: PeerDatabase | undefined;
  let network: SimulatedNetwork | undefined;
  let gatewayIds: number[] = [];
  let terminalIds: Record<number, number>[] = [];

  const apps = (): TestApp[] => [a, b].filter((t): t is TestApp => t !== undefined);
  const buses = (t: TestApp): number[] => gatewayIds.filter((g) => t.app.get(LeaseManager).holds(busKey(g)));
  const terminalsOf = (g: number): number[] => UNITS.map((u) => terminalIds[gatewayIds.indexOf(g)][u]);
  const all = (): number[] => gatewayIds.flatMap(terminalsOf);
  const repeatedStarts = (): number =>
    network!.gateways.reduce((n, g) => n + (g.bus.deviceCounters().repeatedStarts ?? 0), 0);

  /** The progress of every instance, tagged with the instance. */
  const progress = (): Observable<BroadcastProgress & { on: string }> =>
    merge(
      ...apps().map((t) => {
        const on = t === a ? 'ctl-a' : 'ctl-b';
        return t.app.get(DispatchService).progress.pipe(map((p) => ({ ...p, on })));
      }),
    );
  const finished = (broadcastId: string): Promise<BroadcastProgress> =>
    firstValueFrom(progress().pipe(filter((p) => p.broadcastId === broadcastId && isFinalBroadcastState(p.state))));
  const broadcastRow = async (broadcastId: string): Promise<{ state: string; counts: Record<string, number> }> => {
    const res = await a!.http
      .get(`/api/broadcasts/${broadcastId}`)
      .set(a!.auth(await a!.adminToken()))
      .expect(200);
    return res.body as { state: string; counts: Record<string, number> };
  };

  beforeAll(async () => {
    a = await createTestApp({ database: 'mysql', env: env('ctl-a') });
    const county = referenceCounty();
    ({ network } = await startCountyNetwork({
      shape: { ...county, gateways: county.gateways.slice(0, 4) },
      clock: systemClock,
      seed: 11,
      deadFraction: 0,
      noise: 0,
      certificates: [a.app.get(CommandSigning).certificate],
    }));
    ({ gatewayIds, terminalIds } = await registerSimulatedCounty(a, await a.adminToken(), network, {
      regions: [
        { code: '341523000000', name: '舒城县' },
        { code: '341523100000', name: '城关镇' },
      ],
      units: UNITS,
      requestTimeoutMs: 300,
    }));
    peer = peerDatabase(a.db);
    b = await createTestApp({ database: 'mysql', db: peer.db, env: env('ctl-b') });
    await until(changesOf(...apps()), () => buses(a!).length === 2 && buses(b!).length === 2);
    await until(changesOf(...apps()), () =>
      apps().every((t) => buses(t).every((g) => terminalsOf(g).every((id) => online(t, id)))),
    );
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await network?.stop();
    peer?.remove();
    await a?.db.drop();
  });

  it('runs a broadcast launched through A on both holders, each on its own buses, and concludes it once', async () => {
    const o = order(all());
    const seen: (BroadcastProgress & { on: string })[] = [];
    const sub = progress().subscribe((p) => p.broadcastId === o.broadcastId && seen.push(p));
    const done = finished(o.broadcastId);
    const dispatch = a!.app.get(DispatchService);
    await a!.app.get(Transactions).run((tx) => dispatch.plan(o, tx));
    dispatch.launch(o.broadcastId);
    const last = await done;
    sub.unsubscribe();

    expect(last.state).toBe('completed');
    expect(last.counts.played).toBe(12);
    expect(await broadcastRow(o.broadcastId)).toMatchObject({ state: 'completed', counts: { played: 12 } });
    // every delivery change came from the instance holding its terminal's bus, and both took part
    const holder = new Map(
      apps().flatMap((t) => buses(t).flatMap((g) => terminalsOf(g).map((id) => [id, t === a ? 'ctl-a' : 'ctl-b']))),
    );
    const changes = seen.flatMap((p) => p.changes.map((c) => ({ on: p.on, terminalId: c.terminalId })));
    expect(changes.filter((c) => holder.get(c.terminalId) !== c.on)).toEqual([]);
    expect(new Set(changes.map((c) => c.on))).toEqual(new Set(['ctl-a', 'ctl-b']));
    // concluded once: one final event
    expect(seen.filter((p) => isFinalBroadcastState(p.state))).toHaveLength(1);
    expect(repeatedStarts()).toBe(0);
  });

  it('cancelled through B while every terminal plays, stops A’s terminals too', async () => {
    const o = order(all(), { repeat: 0 });
    const playing = firstValueFrom(
      progress().pipe(filter((p) => p.broadcastId === o.broadcastId && p.counts.playing === 12)),
    );
    const dispatch = a!.app.get(DispatchService);
    await a!.app.get(Transactions).run((tx) => dispatch.plan(o, tx));
    dispatch.launch(o.broadcastId);
    await playing;

    const done = finished(o.broadcastId);
    await b!.app.get(DispatchService).cancel(o.alertId, 7);
    expect((await done).state).toBe('cancelled');
    expect(await broadcastRow(o.broadcastId)).toMatchObject({ state: 'cancelled', counts: { cancelled: 12 } });
    for (const t of apps())
      for (const g of buses(t))
        for (const id of terminalsOf(g)) expect(isBroadcasting(await t.app.get(FieldBuses).readStatus(id))).toBe(false);
  });

  it('continues on A what B was playing when B closed, and starts none of B’s terminals twice', async () => {
    const o = order(all(), { repeat: 6 });
    const playing = firstValueFrom(
      progress().pipe(filter((p) => p.broadcastId === o.broadcastId && p.counts.playing === 12)),
    );
    const dispatch = a!.app.get(DispatchService);
    await a!.app.get(Transactions).run((tx) => dispatch.plan(o, tx));
    dispatch.launch(o.broadcastId);
    await playing;

    const onB = buses(b!);
    await b!.close();
    b = undefined;
    const done = finished(o.broadcastId);
    await until(changesOf(...apps()), () => buses(a!).length === 4);
    const last = await done;
    expect(last.state).toBe('completed');
    expect(await broadcastRow(o.broadcastId)).toMatchObject({ state: 'completed', counts: { played: 12 } });
    expect(onB).toHaveLength(2);
    expect(repeatedStarts()).toBe(0);
  });
});
