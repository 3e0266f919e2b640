/**
 * Three instances of a cluster on one MariaDB database (docs/cluster.md, "Dispatch across instances") over a
 * simulated county of six gateways: this process is ctl-a, ctl-b and ctl-c run in processes of their own. A broadcast
 * to every terminal is launched through ctl-a; at a random point of it the child holding the most buses is killed
 * with SIGKILL, and later, in a second broadcast, the other child is paused with SIGSTOP past its lease and resumed.
 * Each time the survivors take the buses over, the broadcast completes with every terminal played, no delivery row is
 * lost, and the simulated terminals count no start of a broadcast they had started already. Waits on lease,
 * monitoring and progress events (ours and the children's), never on the clock.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { filter, firstValueFrom, fromEvent, map, merge, Observable } from 'rxjs';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { busKey, LeaseManager } from '../../src/cluster/lease-manager';
import { Transactions } from '../../src/database/transactions';
import { isFinalBroadcastState } from '../../src/dispatch/broadcast-lifecycle';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { CommandSigning } from '../../src/field/command-signing';
import { LiveFanout } from '../../src/live/live-fanout';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { createTestApp, type TestApp } from '../support/app';
import { describeWith } from '../support/capabilities';
import { registerSimulatedCounty } from '../support/county';
import { order } from '../dispatch/county';
import { peerDatabase, type PeerDatabase } from './peer-database';
import { BROADCASTS_ON, clusterEnv, until } from './support/cluster';
import type { InstanceMessage, InstanceStart } from './support/instance-child';

const UNITS = [1, 2, 3];
const GATEWAYS = 6;

// three servers (two of them transpiled in their own processes), real renewals, chimes played on simulated terminals
jest.setTimeout(240_000);

// with Redis, as a cluster runs in production: /live shared by the three (docs/cluster.md)
const REDIS: Record<string, string> = process.env.TEST_REDIS_URL
  ? { DALABA_REDIS_URL: process.env.TEST_REDIS_URL, DALABA_REDIS_PREFIX: `dalaba-failover-${randomUUID()}` }
  : {};

const env = (id: string): Record<string, string> => clusterEnv(id, { ...REDIS, ...BROADCASTS_ON });

interface Child {
  id: string;
  process: ChildProcess;
  messages: Observable<InstanceMessage>;
  buses: number[];
  online: number[];
  exited: Promise<void>;
}

describeWith(
  ['mysql', 'redis'],
  'a county broadcast across three instances, one killed and one paused [mariadb]',
  () => {
    let a: TestApp | undefined;
    let network: SimulatedNetwork | undefined;
    const peers: PeerDatabase[] = [];
    const children: Child[] = [];
    let gatewayIds: number[] = [];
    let terminalIds: Record<number, number>[] = [];

    const terminalsOf = (g: number): number[] => UNITS.map((u) => terminalIds[gatewayIds.indexOf(g)][u]);
    const all = (): number[] => gatewayIds.flatMap(terminalsOf);
    const busesOfA = (): number[] => gatewayIds.filter((g) => a!.app.get(LeaseManager).holds(busKey(g)));
    const onlineOnA = (id: number): boolean => a!.app.get(MonitoringService).terminal(id)?.online === true;
    const repeatedStarts = (): number =>
      network!.gateways.reduce((n, g) => n + (g.bus.deviceCounters().repeatedStarts ?? 0), 0);

    /** Every event of this instance and of the live children. */
    const events = (): Observable<unknown> =>
      merge(
        a!.app.get(LeaseManager).events,
        a!.app.get(MonitoringService).changes,
        a!.app.get(DispatchService).progress,
        ...children.map((c) => c.messages),
      );
    /** Every bus held by exactly one of `live`, and every terminal online on its holder. */
    const settled = (live: Child[]): boolean => {
      const held = [...busesOfA(), ...live.flatMap((c) => c.buses)];
      if (held.length !== GATEWAYS || new Set(held).size !== GATEWAYS) return false;
      return (
        busesOfA().every((g) => terminalsOf(g).every(onlineOnA)) &&
        live.every((c) => c.buses.every((g) => terminalsOf(g).every((id) => c.online.includes(id))))
      );
    };
    const broadcastState = async (broadcastId: string): Promise<{ state: string; counts: Record<string, number> }> => {
      const res = await a!.http
        .get(`/api/broadcasts/${broadcastId}`)
        .set(a!.auth(await a!.adminToken()))
        .expect(200);
      return res.body as { state: string; counts: Record<string, number> };
    };
    /** Resolves once the broadcast is final in the database (checked on every event of any instance). */
    const final = async (broadcastId: string): Promise<{ state: string; counts: Record<string, number> }> => {
      for (;;) {
        const next = firstValueFrom(events());
        const b = await broadcastState(broadcastId);
        if (isFinalBroadcastState(b.state as never)) return b;
        await next;
      }
    };

    const startChild = (id: string): Child => {
      const peer = peerDatabase(a!.db);
      peers.push(peer);
      const child = fork(join(__dirname, 'support', 'instance-child.ts'), [], {
        execArgv: ['-r', join(__dirname, '..', 'dispatch', 'support', 'ts-hook.js')],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      // a child's 'message' event carries (message, handle): the message is the first
      const messages = fromEvent(child, 'message').pipe(map((args) => (args as [InstanceMessage])[0]));
      const c: Child = {
        id,
        process: child,
        messages,
        buses: [],
        online: [],
        exited: new Promise<void>((resolve) => child.once('exit', () => resolve())),
      };
      messages.subscribe((m) => {
        if (m.type === 'status') Object.assign(c, { buses: m.buses, online: m.online });
        if (m.type === 'error') throw new Error(`${id}: ${m.message}`);
      });
      const start: InstanceStart = { url: peer.db.url, dataDir: peer.db.dataDir, env: env(id) };
      child.send(start);
      children.push(c);
      return c;
    };
    const stop = async (c: Child): Promise<void> => {
      c.process.kill('SIGKILL');
      await c.exited;
      children.splice(children.indexOf(c), 1);
    };

    beforeAll(async () => {
      a = await createTestApp({ database: 'mysql', env: env('ctl-a') });
      const county = referenceCounty();
      ({ network } = await startCountyNetwork({
        shape: { ...county, gateways: county.gateways.slice(0, GATEWAYS) },
        clock: systemClock,
        seed: 17,
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
      const b = startChild('ctl-b');
      const c = startChild('ctl-c');
      await until(
        events(),
        () => settled([b, c]) && busesOfA().length === 2 && b.buses.length === 2 && c.buses.length === 2,
      );
    });

    afterAll(async () => {
      for (const c of [...children]) {
        c.process.kill('SIGCONT');
        await stop(c);
      }
      await a?.close();
      await network?.stop();
      for (const p of peers) p.remove();
      await a?.db.drop();
    });

    const launch = async (repeat: number): Promise<string> => {
      const o = order(all(), { repeat });
      const dispatch = a!.app.get(DispatchService);
      await a!.app.get(Transactions).run((tx) => dispatch.plan(o, tx));
      dispatch.launch(o.broadcastId);
      return o.broadcastId;
    };

    it('completes a county broadcast when the instance holding the most buses is killed in the middle of it', async () => {
      const victim = [...children].sort((x, y) => y.buses.length - x.buses.length)[0];
      // a random point: the victim's k-th progress message of the broadcast (its terminals starting, verified, playing)
      const k = 1 + Math.floor(Math.random() * 3);
      const broadcastId = await launch(3);
      let seen = 0;
      await firstValueFrom(
        victim.messages.pipe(filter((m) => m.type === 'progress' && m.broadcastId === broadcastId && ++seen >= k)),
      );
      const orphaned = victim.buses;
      await stop(victim);

      const done = await final(broadcastId);
      expect({ k, ...done }).toMatchObject({ k, state: 'completed', counts: { played: 18 } });
      expect(Object.values(done.counts).reduce((n, x) => n + x, 0)).toBe(18);
      expect(orphaned.length).toBeGreaterThan(0);
      expect(repeatedStarts()).toBe(0);
      // the other instances' progress reached this one's /live through Redis
      expect(a!.app.get(LiveFanout).counts.received).toBeGreaterThan(0);
    });

    it('completes a county broadcast when a holder is paused past its lease, and the resumed holder records nothing', async () => {
      const [paused] = children;
      await until(events(), () => settled([paused]));
      const broadcastId = await launch(6);
      await firstValueFrom(
        paused.messages.pipe(
          filter((m) => m.type === 'progress' && m.broadcastId === broadcastId && m.counts.playing > 0),
        ),
      );
      const itsBuses = paused.buses;
      const pausedAt = Date.now();
      paused.process.kill('SIGSTOP');
      // the survivor takes every bus of the paused holder and polls its terminals
      await until(events(), () => itsBuses.every((g) => busesOfA().includes(g) && terminalsOf(g).every(onlineOnA)));
      const after: InstanceMessage[] = [];
      const sub = paused.messages.subscribe((m) => after.push(m));
      paused.process.kill('SIGCONT');

      const done = await final(broadcastId);
      sub.unsubscribe();
      expect(done).toMatchObject({ state: 'completed', counts: { played: 18 } });
      expect(Object.values(done.counts).reduce((n, x) => n + x, 0)).toBe(18);
      expect(repeatedStarts()).toBe(0);
      // resumed, it recorded nothing on a bus it had lost: a change it published is of a bus it held again, by a lease
      // gained after the pause (the buses are balanced again once it is back)
      const busOf = new Map(gatewayIds.flatMap((g) => terminalsOf(g).map((id) => [id, g])));
      let holding = new Set<number>();
      const stale: number[] = [];
      for (const m of after) {
        if (m.type === 'status') holding = new Set(m.buses);
        if (m.type === 'progress' && m.at > pausedAt)
          stale.push(...m.terminals.filter((id) => !holding.has(busOf.get(id) as number)));
      }
      expect(stale).toEqual([]);
      expect(itsBuses.length).toBeGreaterThan(0);
    });
  },
);
