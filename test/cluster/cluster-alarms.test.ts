/**
 * Alarms and status writes on two instances of one database and one (manual) time line (docs/cluster.md, "Alarms
 * and status writes follow the bus"): each instance raises, reminds and clears only the alarms of the buses it holds,
 * a bus's alarms move with its lease (the new holder adopts the active rows, raises no duplicate and clears nothing
 * before it has polled the bus), a cause every instance reads from the database is raised once, and a status batch
 * recorded under a lease that has since moved is refused by the fence, not written.
 *
 * The field is played by a few lines per instance (track a bus's terminals on `gained`, untrack them on `lost`, poll
 * by hand), as FieldBuses does with real buses.
 */
import { Logger } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import type { AuditService } from '../../src/audit/audit.service';
import { busKey, LeaseManager } from '../../src/cluster/lease-manager';
import type { AppConfig } from '../../src/config/config';
import { Transactions } from '../../src/database/transactions';
import type { AlarmCause } from '../../src/monitoring/alarm-causes';
import { AlarmRepository } from '../../src/monitoring/alarm.repository';
import { AlarmsService } from '../../src/monitoring/alarms.service';
import {
  AlarmEntity,
  TerminalStatusEntity,
  TerminalStatusHistoryEntity,
} from '../../src/monitoring/monitoring.entities';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { SharedMonitoring } from '../../src/monitoring/shared-monitoring';
import { SharedStatusRepository } from '../../src/monitoring/shared-status.repository';
import { StatusWriter } from '../../src/monitoring/status-writer';
import { StatusRepository } from '../../src/monitoring/status.repository';
import type { TerminalReading } from '../../src/monitoring/terminal-reading';
import { forEachDatabase } from '../support/databases';
import { sharedDatabase, type SharedDatabase } from './lease-db';
import { InstanceClock, ManualClock } from './manual-clock';

const LEASE = 30_000;
const CLEAR_AFTER = 30_000;
const T0 = Date.parse('2026-12-07T02:00:00Z');
const AREA = '341523100201';
const TOWN = '341523100000';
const IDS = ['A', 'B'];
/** Two buses of two terminals; the first terminal of each is dead (never answers). */
const BUSES = new Map([
  [1, [11, 12]],
  [2, [21, 22]],
]);
const DEAD = new Set([11, 21]);

const reading: TerminalReading = {
  state: 1,
  priority: 15,
  source: 'none',
  clipId: 0,
  broadcastId: null,
  broadcastClass: 0,
  volume: 80,
  faults: [],
  supplyVoltage: 24,
  temperature: 30,
  signalQuality: 90,
  uptimeSeconds: 1,
  counters: { crcErrors: 0, refusedCommands: 0 },
  lastCommandSequence: 0,
  clock: null,
};

interface Instance {
  id: string;
  clock: InstanceClock;
  leases: LeaseManager;
  monitoring: MonitoringService;
  alarms: AlarmsService;
  writer: StatusWriter;
  others: SharedMonitoring;
  subscription: Subscription;
}

forEachDatabase('alarms and status writes of two instances', (database) => {
  let shared: SharedDatabase;
  let clock: ManualClock;
  let instances: Instance[];

  beforeAll(() => Logger.overrideLogger(false));

  beforeEach(async () => {
    shared = await sharedDatabase(database, 2);
    clock = new ManualClock(T0);
    instances = [];
    for (const [i, id] of IDS.entries()) {
      const source = shared.sources[i];
      const view = new InstanceClock(clock);
      const leases = new LeaseManager(shared.stores[i], view, {
        clustered: true,
        instanceId: id,
        label: id,
        leaseMs: LEASE,
      });
      leases.setBuses([...BUSES.keys()].map(busKey));
      const monitoring = new MonitoringService();
      const transactions = new Transactions(source);
      const others = new SharedMonitoring(monitoring, new SharedStatusRepository(source), leases, view);
      const alarms = new AlarmsService(
        { raiseAfterMs: 0, clearAfterMs: CLEAR_AFTER, remindEveryMs: 24 * 3600_000 },
        monitoring,
        new AlarmRepository(source),
        {} as AuditService,
        transactions,
        view,
        leases,
        others,
      );
      const config = { monitoring: { statusHistoryDays: 30 } } as AppConfig;
      const writer = new StatusWriter(config, monitoring, new StatusRepository(source, transactions), view, leases);
      // the field layer: a bus's terminals are tracked while its lease is held (FieldBuses does this for real buses)
      const subscription = leases.events.subscribe((e) => {
        const gatewayId = Number(e.key.slice('bus:'.length));
        const terminals = BUSES.get(gatewayId);
        if (!terminals) return;
        if (e.kind === 'gained') {
          monitoring.trackGateway({ gatewayId, areaCode: AREA }, view.now());
          for (const t of terminals) monitoring.trackTerminal({ terminalId: t, areaCode: AREA, gatewayId }, view.now());
        } else {
          for (const t of terminals) monitoring.untrackTerminal(t);
          monitoring.untrackGateway(gatewayId);
        }
      });
      instances.push({ id, clock: view, leases, monitoring, alarms, writer, others, subscription });
    }
  });

  afterEach(async () => {
    for (const x of instances) {
      x.clock.resume();
      x.subscription.unsubscribe();
      x.others.onModuleDestroy();
      await x.alarms.beforeApplicationShutdown();
      await x.leases.stop();
    }
    await shared.close();
  });

  const [a, b] = [0, 1];
  const start = async (i: number): Promise<void> => {
    await instances[i].writer.onModuleInit();
    await instances[i].alarms.onApplicationBootstrap();
    instances[i].others.onApplicationBootstrap();
    instances[i].leases.start();
    await instances[i].leases.idle();
  };
  const renew = async (): Promise<void> => {
    clock.advance(LEASE / 3);
    await Promise.all(instances.map((x) => x.leases.idle()));
  };
  /** Lets `ms` go by, renewal by renewal. */
  const pass = async (ms: number): Promise<void> => {
    for (let t = 0; t < ms; t += LEASE / 3) await renew();
  };
  const heldBuses = (i: number): number[] =>
    [...BUSES.keys()].filter((g) => instances[i].leases.holds(busKey(g)) && instances[i].monitoring.gateway(g));
  /** One sweep of every bus the instance holds: the dead terminals fail three times, the others answer. */
  const poll = (i: number): void => {
    const { monitoring } = instances[i];
    for (const g of heldBuses(i)) {
      monitoring.gatewayConnection(g, 'connected', clock.now());
      for (const t of BUSES.get(g) ?? []) {
        if (!DEAD.has(t)) monitoring.readOk(t, reading, clock.now());
        else for (let n = 0; n < 3; n++) monitoring.readFailed(t, 'timeout', clock.now());
      }
    }
  };
  const evaluate = (i: number): Promise<void> => instances[i].alarms.evaluate(clock.now());
  const rows = (key?: string): Promise<AlarmEntity[]> =>
    shared.sources[0].manager.find(AlarmEntity, { where: key ? { alarmKey: key } : {}, order: { id: 'ASC' } });
  const offlineKey = (terminalId: number): string => `terminal-offline:terminal:${terminalId}`;

  it('keeps each bus alarm with its holder, hands it over with the bus, and never raises or clears it twice', async () => {
    await start(a); // A alone: it takes both buses and finds both dead terminals
    expect(heldBuses(a)).toEqual([1, 2]);
    poll(a);
    await evaluate(a);
    const raised = await rows();
    expect(raised.map((r) => [r.alarmKey, r.state])).toEqual([
      [offlineKey(11), 'active'],
      [offlineKey(21), 'active'],
    ]);

    await start(b); // B joins: A gives one bus up at its next renewal, B takes it at the one after
    await renew();
    await renew();
    const [kept] = heldBuses(a);
    const [moved] = heldBuses(b);
    expect([kept, moved].sort()).toEqual([1, 2]);
    const keptKey = offlineKey(BUSES.get(kept)![0]);
    const movedKey = offlineKey(BUSES.get(moved)![0]);

    // B has not polled its bus yet: what it adopted stays, and nothing of A's bus is touched, however long it runs
    for (let s = 0; s <= CLEAR_AFTER; s += 10_000) {
      poll(a);
      await evaluate(a);
      await evaluate(b);
      await renew();
    }
    expect((await rows(movedKey)).map((r) => r.state)).toEqual(['active']);
    poll(b);
    for (let s = 0; s <= CLEAR_AFTER; s += 10_000) {
      poll(a);
      poll(b);
      await evaluate(a);
      await evaluate(b);
      await renew();
    }
    // one row per alarm, still the first one, still active: not cleared by B (A's) nor by A (B's), not raised again
    expect((await rows()).map((r) => [r.id, r.alarmKey, r.state])).toEqual(
      raised.filter((r) => r.alarmKey === keptKey || r.alarmKey === movedKey).map((r) => [r.id, r.alarmKey, 'active']),
    );

    // A stops cleanly: B takes its bus and adopts its alarm; before B has polled that bus, nothing is cleared
    await instances[a].alarms.beforeApplicationShutdown();
    await instances[a].leases.stop();
    await renew();
    expect(heldBuses(b)).toEqual([1, 2]);
    await pass(CLEAR_AFTER + 1000);
    await evaluate(b);
    expect((await rows(keptKey)).map((r) => r.state)).toEqual(['active']);
    poll(b);
    await pass(CLEAR_AFTER + 1000);
    await evaluate(b);
    expect((await rows()).map((r) => [r.id, r.state])).toEqual(raised.map((r) => [r.id, 'active']));

    // and once the terminal answers again, its alarm is cleared by its holder (B), once
    DEAD.delete(BUSES.get(kept)![0]);
    try {
      poll(b);
      await evaluate(b);
      await pass(CLEAR_AFTER);
      await evaluate(b);
    } finally {
      DEAD.add(BUSES.get(kept)![0]);
    }
    expect((await rows(keptKey)).map((r) => r.state)).toEqual(['cleared']);
    expect(await rows()).toHaveLength(2);
  });

  it('raises a cause that every instance reads from the database (a failed self-test) once, on its bus holder', async () => {
    const selfTest: AlarmCause = {
      key: 'self-test:terminal:12:speakerLineOpen',
      kind: 'self-test',
      areaCode: AREA,
      gatewayId: 1,
      terminalId: 12,
      fault: 'speakerLineOpen',
      terminalIds: [12],
    };
    for (const x of instances) x.alarms.addCauses(() => [selfTest]);
    await start(a);
    await start(b);
    await renew();
    await renew();
    poll(a);
    poll(b);
    await evaluate(a);
    await evaluate(b);
    await evaluate(a);
    const found = await rows(selfTest.key);
    expect(found.map((r) => r.state)).toEqual(['active']);
  });

  /** A and B started, one bus each (A gave one up at a renewal, B took it at the next; both have seen that). */
  const startBoth = async (): Promise<{ kept: number; moved: number }> => {
    await start(a);
    await start(b);
    for (let n = 0; n < 3; n++) await renew();
    const [kept] = heldBuses(a);
    const [moved] = heldBuses(b);
    expect([kept, moved].sort()).toEqual([1, 2]);
    return { kept, moved };
  };
  /**
   * Each instance publishes its buses (its writer's flush), then each reads what the other published. First the
   * evaluations a poll queued (a connection change evaluates on the next turn of the event loop) are let through: on
   * SQLite a write of one instance waiting for a lock the other holds would stall the one thread.
   */
  const publish = async (): Promise<void> => {
    await new Promise((resolve) => setImmediate(resolve));
    for (const x of instances) await x.alarms.evaluate(clock.now());
    for (const x of instances) await x.writer.flush();
    for (const x of instances) await x.others.read();
  };

  it("counts in each instance's online rates the terminals of the other's bus, as published, and follows their changes", async () => {
    const { kept } = await startBoth();
    poll(a);
    poll(b);
    await publish();
    // each tracks two terminals, one of them dead; each counts all four
    for (const x of instances) {
      expect(x.monitoring.onlineRate(AREA)).toMatchObject({ registered: 4, online: 2, unknown: 0, ratePercent: 50 });
      expect(x.monitoring.onlineRate(TOWN)).toMatchObject({ registered: 4, online: 2 });
    }
    // A's dead terminal answers again: once A has published it, B counts it, and says which areas moved
    const moved: string[][] = [];
    const subscription = instances[b].others.rateChanges.subscribe((codes) => moved.push(codes));
    DEAD.delete(BUSES.get(kept)![0]);
    try {
      poll(a);
      expect(instances[b].monitoring.onlineRate(AREA).online).toBe(2);
      await publish();
    } finally {
      DEAD.add(BUSES.get(kept)![0]);
      subscription.unsubscribe();
    }
    expect(instances[b].monitoring.onlineRate(AREA)).toMatchObject({ registered: 4, online: 3, ratePercent: 75 });
    expect(moved.flat()).toEqual(expect.arrayContaining([AREA, TOWN, '341523000000']));
  });

  it('judges a town whose gateways two instances hold over all of them: one uplink alarm, no bus alarm kept', async () => {
    const { kept, moved } = await startBoth();
    const raisedBy = instances.map(() => [] as string[]);
    instances.forEach((x, i) => x.alarms.events.subscribe((e) => e.type === 'raised' && raisedBy[i].push(e.alarm.key)));
    // both gateways of the town drop; each holder may first see its own bus down alone (it evaluates at once on a
    // connection change, before the other's state is read): that bus alarm clears as the uplink covers it
    instances[a].monitoring.gatewayConnection(kept, 'disconnected', clock.now());
    instances[b].monitoring.gatewayConnection(moved, 'disconnected', clock.now());
    await publish();
    const settle = async (): Promise<void> => {
      await evaluate(a);
      await evaluate(b);
      await pass(CLEAR_AFTER + 1000);
      await evaluate(a);
      await evaluate(b);
    };
    await settle();
    const uplink = `town-uplink:${TOWN}`;
    const active = await shared.sources[0].manager.find(AlarmEntity, { where: { state: 'active' } });
    expect(active.map((r) => r.alarmKey)).toEqual([uplink]);
    expect([...active[0].terminalIds].sort()).toEqual([11, 12, 21, 22]);
    // raised once, by the holder of the town's lowest gateway
    const owner = heldBuses(a).includes(1) ? a : b;
    expect(raisedBy[owner].filter((k) => k === uplink)).toHaveLength(1);
    expect(raisedBy[owner === a ? b : a]).not.toContain(uplink);
    expect(await rows(uplink)).toHaveLength(1);

    // B's gateway is back: the town is not cut off, A's bus alone is down (and B's dead terminal is found)
    poll(b);
    await publish();
    await settle();
    const now = await shared.sources[0].manager.find(AlarmEntity, { where: { state: 'active' } });
    expect(now.map((r) => r.alarmKey).sort()).toEqual(
      [`bus-down:gateway:${kept}`, offlineKey(BUSES.get(moved)![0])].sort(),
    );
    expect((await rows(uplink)).map((r) => r.state)).toEqual(['cleared']);
  });

  const status = (id: number): Promise<TerminalStatusEntity | null> =>
    shared.sources[0].manager.findOneBy(TerminalStatusEntity, { terminalId: id });
  /** A alone holds both buses, has polled them, written their status and evaluated their alarms. */
  const startPolledA = async (): Promise<void> => {
    await start(a);
    poll(a);
    await instances[a].writer.flush();
    // A's alarm writes of that poll done first: on SQLite, B waiting for a lock A holds would stall this one thread
    await evaluate(a);
  };

  it('refuses a status batch recorded under a bus lease that has moved since: nothing of it is written', async () => {
    await startPolledA();
    expect((await status(12))?.connectivity).toBe('online');

    // A records a change of terminal 12 (bus 1) and then stalls (a long pause) before its flush
    instances[a].monitoring.readOk(12, { ...reading, volume: 50 }, clock.now());
    instances[a].clock.pause();
    await start(b);
    for (let n = 0; n < 4; n++) await renew(); // A's leases lapse; B takes both buses at new epochs
    expect(heldBuses(b)).toEqual([1, 2]);
    instances[a].clock.resume();

    const before = await shared.sources[0].manager.count(TerminalStatusHistoryEntity);
    await instances[a].writer.flush();
    expect((await status(12))?.reading?.volume).toBe(80);
    expect(await shared.sources[0].manager.count(TerminalStatusHistoryEntity)).toBe(before);
    expect(instances[a].writer.refused).toBe(1);
  });

  it('writes in one flush the changes of the bus still held and refuses only those of the bus that moved', async () => {
    await startPolledA();
    // A records a change on each bus; before its flush B joins and one bus moves to it
    for (const t of [12, 22]) instances[a].monitoring.readOk(t, { ...reading, volume: 50 }, clock.now());
    await start(b);
    await renew();
    await renew();
    const [kept] = heldBuses(a);
    const [moved] = heldBuses(b);
    expect([kept, moved].sort()).toEqual([1, 2]);

    const before = await shared.sources[0].manager.count(TerminalStatusHistoryEntity);
    await instances[a].writer.flush();
    expect((await status(BUSES.get(kept)![1]))?.reading?.volume).toBe(50);
    expect((await status(BUSES.get(moved)![1]))?.reading?.volume).toBe(80);
    expect(await shared.sources[0].manager.count(TerminalStatusHistoryEntity)).toBe(before + 1);
    expect(instances[a].writer.refused).toBe(1);
  });
});
