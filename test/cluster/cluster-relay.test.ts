/**
 * The relay across two instances on one MariaDB database (docs/cluster.md, "Dispatch across instances"), over a
 * simulated county of four gateways split between them: the planner runs on one instance (its singleton's holder),
 * a slot targets the terminals of every bus; a terminal on the other instance's bus, offline at the start, is started
 * late by that bus's holder at the planner's request once it is back, and the stop at the slot's end reaches the
 * other holder's terminals too. Waits on progress, lease, monitoring and command events, never on the clock (the one
 * wait on the clock is the scenario: a terminal that comes back after the start).
 */
import { filter, firstValueFrom, map, merge, Subject } from 'rxjs';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import type { PlayRecord } from '../../device-drivers/simulator/modbus/virtual-bus';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import type { TerminalCommand } from '../../firmware-protocols/codes';
import { broadcastHandle } from '../../firmware-protocols/terminal-modbus/status';
import { busKey, LeaseManager, singletonKey } from '../../src/cluster/lease-manager';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { CommandSigning } from '../../src/field/command-signing';
import { FieldBuses } from '../../src/field/field-buses';
import { SlotRunEntity } from '../../src/relay/planner/slot-run.entity';
import { shanghaiDay } from '../../src/relay/recurrence';
import { createTestApp, type TestApp } from '../support/app';
import { describeWith } from '../support/capabilities';
import { registerSimulatedCounty } from '../support/county';
import { peerDatabase, type PeerDatabase } from './peer-database';
import { BROADCASTS_ON, changesOf, clusterEnv, online, until } from './support/cluster';

const UNITS = [1, 2, 3];
const COUNTY = '341523000000';

// real sockets, real renewals (every 500 ms at a 1.5 s lease), a slot of 40 s played on simulated terminals
jest.setTimeout(120_000);

/** Asia/Shanghai wall time HH:MM:SS of an instant. */
const wall = (ms: number): string => new Date(ms + 8 * 3600_000).toISOString().slice(11, 19);
/** A whole second at least `ms` ahead. */
const ahead = (ms: number): number => Math.ceil((Date.now() + ms) / 1000) * 1000;

interface Sent {
  on: TestApp;
  gatewayId: number | null;
  terminalId: number | null;
  command: TerminalCommand;
}

describeWith(['mysql'], 'the relay across two instances [mariadb]', () => {
  let a: TestApp | undefined;
  let b: TestApp | undefined;
  let peer: PeerDatabase | undefined;
  let network: SimulatedNetwork | undefined;
  let gatewayIds: number[] = [];
  let terminalIds: Record<number, number>[] = [];
  const tokens: Record<string, string> = {};
  const sent = new Subject<Sent>();
  const log: Sent[] = [];
  sent.subscribe((s) => log.push(s));

  const apps = (): TestApp[] => [a, b].filter((t): t is TestApp => t !== undefined);
  const buses = (t: TestApp): number[] => gatewayIds.filter((g) => t.app.get(LeaseManager).holds(busKey(g)));
  const terminalsOf = (g: number): number[] => UNITS.map((u) => terminalIds[gatewayIds.indexOf(g)][u]);
  const all = (): number[] => gatewayIds.flatMap(terminalsOf);
  const repeatedStarts = (): number =>
    network!.gateways.reduce((n, g) => n + (g.bus.deviceCounters().repeatedStarts ?? 0), 0);
  const plays = (index: number, unit: number, broadcastId: string): PlayRecord[] =>
    (network!.gateways[index].bus.device(unit)?.playLog?.() ?? []).filter(
      (p) => p.handle === broadcastHandle(broadcastId),
    );
  /** The stops of a broadcast an instance sent, bus-wide or to one terminal. */
  const stopsBy = (t: TestApp, broadcastId: string): Sent[] =>
    log.filter((s) => s.on === t && s.command.code === 'stop' && s.command.broadcastId === broadcastId);

  /** Records every command an instance sends (bus-wide or to one terminal). */
  const record = (t: TestApp): void => {
    const field = t.app.get(FieldBuses);
    const commandBus = field.commandBus.bind(field);
    jest.spyOn(field, 'commandBus').mockImplementation((gatewayId, command, opts) => {
      sent.next({ on: t, gatewayId, terminalId: null, command });
      return commandBus(gatewayId, command, opts);
    });
    const command = field.command.bind(field);
    jest.spyOn(field, 'command').mockImplementation((terminalId, c, opts) => {
      sent.next({ on: t, gatewayId: null, terminalId, command: c });
      return command(terminalId, c, opts);
    });
  };

  /** A programme on every terminal and a one-off schedule from `start` to `end` (ms), published after review, through A. */
  const publish = async (start: number, end: number): Promise<number> => {
    const as = (who: string) => a!.auth(tokens[who]);
    const p = await a!.http
      .post('/api/relay/programmes')
      .set(as('officer'))
      .send({
        name: `县台新闻 ${start}`,
        source: { kind: 'fm', frequency: 9530 },
        priorityClass: 'county',
        targets: { terminalIds: all() },
      })
      .expect(201);
    const recurrence = { kind: 'once', dates: [shanghaiDay(new Date(start))], start: wall(start), end: wall(end) };
    const s = await a!.http
      .post('/api/relay/schedules')
      .set(as('officer'))
      .send({ programmeId: p.body.id, recurrence })
      .expect(201);
    await a!.http.post(`/api/relay/schedules/${s.body.id}/submit`).set(as('officer')).expect(200);
    await a!.http.post(`/api/relay/schedules/${s.body.id}/approve`).set(as('approver')).expect(200);
    return s.body.id as number;
  };

  beforeAll(async () => {
    a = await createTestApp({ database: 'mysql', env: clusterEnv('ctl-a', BROADCASTS_ON) });
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
        { code: COUNTY, name: '舒城县' },
        { code: '341523100000', name: '城关镇' },
      ],
      units: UNITS,
      requestTimeoutMs: 300,
    }));
    for (const role of ['officer', 'approver'] as const)
      tokens[role] = (await a.createUser({ username: role, roles: [role], scopes: [COUNTY] })).token;
    peer = peerDatabase(a.db);
    b = await createTestApp({ database: 'mysql', db: peer.db, env: clusterEnv('ctl-b', BROADCASTS_ON) });
    await until(changesOf(...apps()), () => buses(a!).length === 2 && buses(b!).length === 2);
    await until(changesOf(...apps()), () =>
      apps().every((t) => buses(t).every((g) => terminalsOf(g).every((id) => online(t, id)))),
    );
    for (const t of apps()) record(t);
  });

  afterAll(async () => {
    await b?.close();
    await a?.close();
    await network?.stop();
    peer?.remove();
    await a?.db.drop();
  });

  it('starts late, on the other holder’s bus, a terminal back after the start, and stops that holder’s terminals at the end', async () => {
    const planner = singletonKey('relay-planner');
    await until(changesOf(...apps()), () => apps().some((t) => t.app.get(LeaseManager).holds(planner)));
    const holder = apps().find((t) => t.app.get(LeaseManager).holds(planner))!;
    const other = apps().find((t) => t !== holder)!;
    const gateway = buses(other)[0];
    const index = gatewayIds.indexOf(gateway);
    const late = terminalIds[index][UNITS[0]];

    const progress = (t: TestApp) => t.app.get(DispatchService).progress;
    const changesOfLate = merge(
      ...apps().map((t) =>
        progress(t).pipe(
          map((p) => ({ on: t, p, c: p.changes.find((c) => c.terminalId === late) })),
          filter((x) => x.c !== undefined),
        ),
      ),
    );
    const notStarted = firstValueFrom(
      changesOfLate.pipe(filter((x) => x.c!.state === 'unreachable' || x.c!.state === 'failed')),
    );
    const playing = firstValueFrom(changesOfLate.pipe(filter((x) => x.c!.state === 'playing')), {
      defaultValue: null,
    });
    // off from just before the slot is published (a unit failing longer is polled ever less often: its backoff)
    network!.setFault(index, UNITS[0], 'power-loss');
    const start = ahead(5000);
    const end = start + 40_000;
    const scheduleId = await publish(start, end);
    const down = await notStarted;
    expect(down.on).toBe(other);
    const broadcastId = down.p.broadcastId;
    expect((await a!.dataSource.getRepository(SlotRunEntity).findOneByOrFail({ scheduleId })).broadcastId).toBe(
      broadcastId,
    );

    // the scenario: the terminal comes back after the start (not a wait for the system: that is told by events)
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + 1500 - Date.now())));
    network!.setFault(index, UNITS[0], 'none');
    // it plays before the slot ends, or the test fails when the planner's holder stops its own buses at the end
    const holderStopped = firstValueFrom(
      sent.pipe(filter((s) => s.on === holder && s.command.code === 'stop' && s.command.broadcastId === broadcastId)),
    );
    const first = await Promise.race([playing, holderStopped.then(() => null)]);
    expect(first).not.toBeNull();
    // started by the holder of its bus, once
    expect(first!.on).toBe(other);
    expect(Date.now()).toBeGreaterThan(start + 1500);
    expect(plays(index, UNITS[0], broadcastId)).toEqual([expect.objectContaining({ source: 'fm' })]);

    // the end: the planner's holder stops its own buses and asks the other holder, whose next pass stops its own
    await holderStopped;
    const dispatch = other.app.get(DispatchService);
    dispatch.cluster.soon();
    await dispatch.cluster.idle();
    await dispatch.cluster.requests.settled();
    const stopped = new Set(stopsBy(other, broadcastId).map((s) => s.gatewayId));
    for (const g of buses(other)) expect(stopped).toContain(g);
    expect(stopsBy(holder, broadcastId).every((s) => s.gatewayId === null || buses(holder).includes(s.gatewayId))).toBe(
      true,
    );
    // each request handled once, then gone
    expect(await a!.dataSource.query('SELECT id FROM dispatch_request')).toEqual([]);
    expect(plays(index, UNITS[0], broadcastId)).toHaveLength(1);
    expect(repeatedStarts()).toBe(0);
  });
});
