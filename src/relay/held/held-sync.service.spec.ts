/**
 * HeldScheduleSync over fake terminals (docs/relay.md "Held schedules"): which play logs a pass reads, how tables are
 * written (one bus-wide write for a bus that shares a table, unicast retries within the pass for those it missed) and
 * the `held-table` alarm. The tables Dalaba wrote are kept in an in-memory SQLite database.
 */
import { Subject } from 'rxjs';
import { DataSource } from 'typeorm';
import type { HeldHeader, HeldScheduleAccess, HeldTable } from '../../field/field-port';
import { heldDigest, heldTableId, type HeldPlayRecord } from '../../../firmware-protocols/terminal-modbus';
import { Clock, type TimerHandle } from '../../common/clock';
import { dataSourceOptions } from '../../database/data-source-options';
import type { AppConfig } from '../../config/config';
import type { FieldBuses } from '../../field/field-buses';
import type { AlarmCause } from '../../monitoring/alarm-causes';
import type { AlarmsService } from '../../monitoring/alarms.service';
import type { GatewayChange, MonitoringService } from '../../monitoring/monitoring.service';
import type { Connectivity } from '../../monitoring/connectivity';
import type { StatusChange } from '../../monitoring/status-store';
import type { AsRunService } from '../as-run.service';
import type { DayPlanService, TerminalDay } from '../day-plan.service';
import type { RelayRepository } from '../relay.repository';
import type { RelayChanges } from '../relay-view';
import { HeldScheduleSync } from './held-sync.service';
import { HeldTableEntity } from './held-table.entity';

const NOW = Date.parse('2026-12-07T02:00:00Z');
const AREA = '341523100001';

class ManualClock extends Clock {
  timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  now(): number {
    return NOW;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const t = { at: NOW + ms, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => (t.cancelled = true) };
  }
  /** The next timer still armed. */
  next(): { at: number; fn: () => void } | undefined {
    return this.timers.filter((t) => !t.cancelled).sort((a, b) => a.at - b.at)[0];
  }
}

/** A terminal as far as §9 goes: its header, its play log, and how many of its writes are lost. */
class FakeTerminal {
  header: HeldHeader = {
    state: 0,
    tableId: 0,
    entryCount: 0,
    entriesWritten: 0,
    validFrom: 0,
    validUntil: 0,
    holdOffSeconds: 0,
    digest: '0'.repeat(64),
  };
  log: HeldPlayRecord[] = [];
  reads = { plays: 0, header: 0 };
  writes = { unicast: 0, broadcast: 0 };
  /** Unicast writes to lose; -1: every one. */
  loseWrites = 0;
  missBroadcast = false;
  constructor(
    readonly id: number,
    readonly gatewayId: number,
    readonly capable = true,
  ) {}

  take(table: HeldTable): void {
    const digest = heldDigest(table.entries);
    this.header = { ...this.header, state: 2, tableId: heldTableId(digest), digest };
  }
}

/** `wanted`: the slots (schedule ids) each terminal plays; null: it is in no day view. */
function setup(terminals: FakeTerminal[], wanted: (id: number) => number[] | null = () => [1]) {
  const byId = new Map(terminals.map((t) => [t.id, t]));
  const connectivity = new Map<number, Connectivity>(terminals.map((t) => [t.id, 'online']));
  const held = (t: FakeTerminal): HeldScheduleAccess => ({
    header: () => {
      t.reads.header += 1;
      return Promise.resolve(t.header);
    },
    write: (_u, table) => {
      t.writes.unicast += 1;
      if (t.loseWrites !== 0) {
        if (t.loseWrites > 0) t.loseWrites -= 1;
        return Promise.reject(new Error('timeout'));
      }
      t.take(table);
      return Promise.resolve({ tableId: t.header.tableId, digest: t.header.digest });
    },
    plays: () => {
      t.reads.plays += 1;
      const records = t.log.slice(0, 15);
      return Promise.resolve({ count: t.log.length, dropped: 0, newest: 0, records });
    },
    acknowledge: (_u, sequence) => {
      t.log = t.log.filter((r) => r.sequence > sequence);
      return Promise.resolve();
    },
  });
  const field = {
    settled: () => Promise.resolve(),
    heldSchedule: (id: number) => (byId.has(id) ? held(byId.get(id) as FakeTerminal) : null),
    locate: (id: number) => {
      const t = byId.get(id);
      return t ? { terminalId: id, gatewayId: t.gatewayId, unit: id } : null;
    },
    identify: (id: number) =>
      Promise.resolve({ capabilities: { holdsSchedule: byId.get(id)?.capable, sources: ['fm'] } }),
    terminalsOn: (g: number) => terminals.filter((t) => t.gatewayId === g).map((t) => t.id),
    heldWriteAll: (g: number, ids: number[], table: HeldTable) => {
      for (const t of terminals)
        if (t.gatewayId === g && t.capable && !t.missBroadcast && connectivity.get(t.id) !== 'offline') {
          t.writes.broadcast += 1;
          t.take(table);
        }
      const digest = heldDigest(table.entries);
      return Promise.resolve(ids.filter((id) => byId.get(id)?.header.digest === digest));
    },
  };
  // slot s of the day: hour 10+s, Shanghai (UTC+8) → 02:00+s UTC, after NOW
  const slotOf = (s: number) => {
    const start = new Date(NOW + s * 3600_000);
    const end = new Date(start.getTime() + 1800_000);
    return { scheduleId: s, programmeId: s, programmeName: `p${s}`, priority: 6, publishedAt: start, start, end };
  };
  const days = {
    day: ({ date }: { date: string }) =>
      Promise.resolve({
        date,
        terminals:
          date === '2026-12-07'
            ? terminals.flatMap((t): TerminalDay[] => {
                const slots = wanted(t.id);
                return slots === null
                  ? []
                  : [
                      {
                        terminalId: t.id,
                        areaCode: AREA,
                        slots: slots.map((s) => ({
                          ...slotOf(s),
                          plays: [slotOf(s)].map((x) => ({ from: x.start, to: x.end })),
                          yields: [],
                        })),
                      },
                    ];
              })
            : [],
      }),
  };
  const relay = {
    onAir: () =>
      Promise.resolve(
        [1, 2].map((id) => ({
          id,
          published: { programme: { source: { kind: 'fm', frequency: 9530 }, priority: 6, volume: 70 } },
        })),
      ),
  };
  const asRun = { recordHeldPlay: jest.fn(() => Promise.resolve()) };
  const statusChanges = new Subject<StatusChange>();
  const gatewayEvents = new Subject<GatewayChange>();
  const monitoring = {
    changes: statusChanges,
    gatewayEvents,
    terminal: (id: number) => ({ terminalId: id, areaCode: AREA, connectivity: connectivity.get(id) }),
  };
  let causes: () => AlarmCause[] = () => [];
  const alarms = { addCauses: (f: () => AlarmCause[]) => (causes = f) };
  return {
    byId,
    connectivity,
    field,
    days,
    relay,
    asRun,
    statusChanges,
    gatewayEvents,
    monitoring,
    alarms,
    causes: () => causes(),
  };
}

describe('HeldScheduleSync', () => {
  let db: DataSource;
  let clock: ManualClock;
  let sync: HeldScheduleSync;

  beforeEach(async () => {
    // the schema from the migrations, as the server has it
    db = await new DataSource(await dataSourceOptions({ kind: 'sqlite', sqlitePath: ':memory:' })).initialize();
    clock = new ManualClock();
  });
  afterEach(async () => {
    sync?.onModuleDestroy();
    await db.destroy();
  });

  const start = (terminals: FakeTerminal[], wanted?: (id: number) => number[] | null) => {
    const f = setup(terminals, wanted);
    const config = { field: { enabled: true, heldSyncMs: 60_000, heldHoldOffSeconds: 60 } } as AppConfig;
    sync = new HeldScheduleSync(
      config,
      db,
      clock,
      f.field as unknown as FieldBuses,
      f.days as unknown as DayPlanService,
      f.relay as unknown as RelayRepository,
      f.asRun as unknown as AsRunService,
      { stream: new Subject() } as unknown as RelayChanges,
      f.monitoring as unknown as MonitoringService,
      f.alarms as unknown as AlarmsService,
    );
    // bootstrap without its own start-up pass: the tests run each pass themselves
    jest.spyOn(f.field, 'settled').mockReturnValue(new Promise(() => undefined));
    sync.onApplicationBootstrap();
    return f;
  };
  const bus = (n: number, gatewayId = 1, from = 1) =>
    Array.from({ length: n }, (_, i) => new FakeTerminal(from + i, gatewayId));
  const record = (t: FakeTerminal, sequence: number): HeldPlayRecord => ({
    sequence,
    tableId: t.header.tableId,
    entryIndex: 0,
    outcome: 'whole',
    start: Math.floor((NOW + 3600_000) / 1000),
    end: Math.floor((NOW + 5400_000) / 1000),
  });

  it('reads every play log at start-up, then none in a pass with nothing new', async () => {
    const terminals = [...bus(3), new FakeTerminal(4, 1, false)];
    start(terminals);
    const first = await sync.pass();
    expect(first).toMatchObject({ logsRead: 3, written: 3, broadcasts: 1, failed: 0 });
    expect(terminals.map((t) => t.reads.plays)).toEqual([1, 1, 1, 0]);

    const second = await sync.pass();
    expect(second).toMatchObject({ logsRead: 0, written: 0, verified: 0, broadcasts: 0 });
    expect(terminals.map((t) => t.reads.plays)).toEqual([1, 1, 1, 0]);
    expect(terminals.map((t) => t.reads.header)).toEqual([1, 1, 1, 0]);
  });

  it('collects the plays of a terminal that comes back, and only its log', async () => {
    const terminals = bus(3);
    const f = start(terminals);
    await sync.pass();
    const [, back] = terminals;
    back.log = [record(back, 1), record(back, 2)];
    f.statusChanges.next({
      at: NOW,
      previous: 'offline',
      fields: ['connectivity'],
      status: { ...f.monitoring.terminal(back.id), online: true } as StatusChange['status'],
    });
    // a pass is due soon: run it as its timer would
    const due = clock.next();
    expect(due?.at).toBeLessThan(NOW + 60_000);
    const report = await sync.pass();

    expect(report).toMatchObject({ logsRead: 1, plays: 2 });
    expect(terminals.map((t) => t.reads.plays)).toEqual([1, 2, 1]);
    expect(back.log).toEqual([]);
    expect(f.asRun.recordHeldPlay).toHaveBeenCalledTimes(2);
    expect(f.asRun.recordHeldPlay.mock.calls[0]).toEqual([
      {
        terminalId: back.id,
        scheduleId: 1,
        plannedStart: new Date(NOW + 3600_000),
        plannedEnd: new Date(NOW + 5400_000),
      },
      new Date(NOW + 3600_000),
      new Date(NOW + 5400_000),
      'fm',
      null,
    ]);
    // its table was checked again by header, not rewritten
    expect(back.reads.header).toBe(2);
    expect(back.writes.unicast).toBe(0);
  });

  it('reads the logs of every terminal of a bus that is connected again', async () => {
    const terminals = [...bus(2, 1), ...bus(2, 2, 3)];
    const f = start(terminals);
    await sync.pass();
    const status = { gatewayId: 2, areaCode: AREA, since: NOW, detail: null };
    f.gatewayEvents.next({ at: NOW, previous: 'connected', status: { ...status, connection: 'disconnected' } });
    f.gatewayEvents.next({ at: NOW, previous: 'disconnected', status: { ...status, connection: 'connecting' } });
    f.gatewayEvents.next({ at: NOW, previous: 'connecting', status: { ...status, connection: 'connected' } });
    expect(await sync.pass()).toMatchObject({ logsRead: 2 });
    expect(terminals.map((t) => t.reads.plays)).toEqual([1, 1, 2, 2]);
  });

  it('writes a shared table bus-wide and, within the pass, unicast to a terminal the broadcast missed', async () => {
    const terminals = bus(4);
    terminals[2].missBroadcast = true;
    terminals[2].loseWrites = 1;
    start(terminals);
    const report = await sync.pass();
    expect(report).toMatchObject({ written: 4, broadcasts: 1, failed: 0 });
    expect(terminals.map((t) => t.writes)).toEqual([
      { unicast: 0, broadcast: 1 },
      { unicast: 0, broadcast: 1 },
      { unicast: 2, broadcast: 0 },
      { unicast: 0, broadcast: 1 },
    ]);
    const digest = terminals[0].header.digest;
    expect(terminals.every((t) => t.header.state === 2 && t.header.digest === digest)).toBe(true);
    expect(await db.getRepository(HeldTableEntity).countBy({ digest })).toBe(4);
  });

  it('writes unicast where a terminal of the bus is to hold another table', async () => {
    const terminals = bus(3);
    start(terminals, (id) => (id === 3 ? [2] : [1]));
    expect(await sync.pass()).toMatchObject({ written: 3, broadcasts: 0 });
    expect(terminals.map((t) => t.writes.unicast)).toEqual([1, 1, 1]);
    expect(terminals[0].header.digest).not.toBe(terminals[2].header.digest);
  });

  it('writes unicast where a terminal of the bus that may take a broadcast table is not known', async () => {
    const terminals = bus(3);
    start(terminals, (id) => (id === 3 ? null : [1]));
    expect(await sync.pass()).toMatchObject({ written: 2, broadcasts: 0 });
    expect(terminals.map((t) => t.writes)).toEqual([
      { unicast: 1, broadcast: 0 },
      { unicast: 1, broadcast: 0 },
      { unicast: 0, broadcast: 0 },
    ]);
  });

  it('writes bus-wide past a terminal that is offline, which raises no held-table alarm', async () => {
    const terminals = bus(3);
    const f = start(terminals, (id) => (id === 3 ? [2] : [1]));
    f.connectivity.set(3, 'offline');
    terminals[2].loseWrites = -1;
    expect(await sync.pass()).toMatchObject({ written: 2, broadcasts: 1, failed: 1 });
    expect(terminals.map((t) => t.writes.broadcast)).toEqual([1, 1, 0]);
    expect(f.causes()).toEqual([]);
  });

  it('raises a held-table alarm for a table not verified after the retries, and clears it once verified', async () => {
    const terminals = bus(2);
    terminals[1].missBroadcast = true;
    terminals[1].loseWrites = -1;
    const f = start(terminals);
    expect(await sync.pass()).toMatchObject({ written: 1, failed: 1 });
    expect(terminals[1].writes.unicast).toBe(2);
    expect(f.causes()).toEqual([
      {
        key: 'held-table:terminal:2',
        kind: 'held-table',
        areaCode: AREA,
        gatewayId: 1,
        terminalId: 2,
        fault: null,
        terminalIds: [2],
      },
    ]);
    // offline, it is the offline alarm's business
    f.connectivity.set(2, 'offline');
    expect(f.causes()).toEqual([]);
    f.connectivity.set(2, 'online');

    terminals[1].loseWrites = 0;
    expect(await sync.pass()).toMatchObject({ written: 1, failed: 0 });
    expect(f.causes()).toEqual([]);
  });
});
