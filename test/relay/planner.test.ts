/**
 * The relay on air over a simulated county (line timing on): a published slot starts on its second on every target
 * (the play commands carry that second and the slot's end; the simulated terminals start and stop on them), an edit
 * of a published schedule takes effect before the start and while it plays, an alert cuts in and the relay comes back
 * with the cut in the as-run log, and the watch raises alarms on a wrong source and falls back on a weak signal.
 * Real time, as the dispatch suites: every wait is on an event (as-run rows, alarms), never on the clock.
 */
import { filter, firstValueFrom } from 'rxjs';
import { broadcastHandle } from '../../firmware-protocols/terminal-modbus/status';
import type { PlayRecord } from '../../device-drivers/simulator/modbus/virtual-bus';
import type { TerminalCommand } from '../../firmware-protocols/codes';
import { Transactions } from '../../src/database/transactions';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { FieldBuses } from '../../src/field/field-buses';
import { AlarmsService, type PublishedAlarmEvent } from '../../src/monitoring/alarms.service';
import { LATE_LAUNCH_CAUSE } from '../../src/relay/planner/relay-planner.service';
import { SlotRunEntity } from '../../src/relay/planner/slot-run.entity';
import { shanghaiDay } from '../../src/relay/recurrence';
import { AsRunEntity } from '../../src/relay/relay.entities';
import { RelayChanges, type AsRunView } from '../../src/relay/relay-view';
import { createTestApp, type TestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { COUNTY, order, registerCounty, UNITS, type County } from '../dispatch/county';

jest.setTimeout(120_000);

/** Asia/Shanghai wall time HH:MM:SS of an instant. */
const wall = (ms: number): string => new Date(ms + 8 * 3600_000).toISOString().slice(11, 19);

forEachDatabase('relay planner over a simulated county', (kind) => {
  let t: TestApp;
  let county: County;
  let rows: AsRunView[];
  const tokens: Record<string, string> = {};
  const as = (who: string) => t.auth(tokens[who]);
  const commands: { gatewayId: number; command: TerminalCommand }[] = [];

  beforeAll(async () => {
    t = await createTestApp({
      database: kind,
      env: { DALABA_FIELD: 'on', DALABA_POLL_PAUSE_MS: '300', DALABA_START_LEAD_MS: '800' },
    });
    const admin = await t.adminToken();
    county = await registerCounty(t, admin);
    for (const [name, role] of [
      ['officer', 'officer'],
      ['approver', 'approver'],
    ] as const)
      tokens[name] = (await t.createUser({ username: `${name}-${kind}`, roles: [role], scopes: [COUNTY] })).token;
    const field = t.app.get(FieldBuses);
    await field.settled();
    const commandBus = field.commandBus.bind(field);
    jest.spyOn(field, 'commandBus').mockImplementation((gatewayId, command, opts) => {
      commands.push({ gatewayId, command });
      return commandBus(gatewayId, command, opts);
    });
    rows = [];
    t.app.get(RelayChanges).stream.subscribe((c) => {
      if (c.kind === 'asRun') rows.push(c.asRun);
    });
  });

  afterAll(async () => {
    await t?.close();
    await county?.network.stop();
  });

  /** Resolves once an as-run row satisfies `holds` (rows seen before count). */
  const asRun = (holds: (r: AsRunView) => boolean): Promise<AsRunView> => {
    const seen = rows.find(holds);
    if (seen) return Promise.resolve(seen);
    return firstValueFrom(
      t.app.get(RelayChanges).stream.pipe(filter((c) => c.kind === 'asRun' && holds(c.asRun))),
    ).then((c) => (c as { asRun: AsRunView }).asRun);
  };
  const all = (ids: number[], holds: (r: AsRunView) => boolean) =>
    Promise.all(ids.map((id) => asRun((r) => r.terminalId === id && holds(r))));

  /** A programme on a village and a one-off schedule from `start` to `end` (ms), published after review. */
  const publish = async (village: number, start: number, end: number, over: object = {}) => {
    const p = await t.http
      .post('/api/relay/programmes')
      .set(as('officer'))
      .send({
        name: `县台新闻 ${start}`,
        source: { kind: 'fm', frequency: 9530 },
        priorityClass: 'county',
        targets: { areaCodes: [county.villages[village]] },
        ...over,
      })
      .expect(201);
    const s = await t.http
      .post('/api/relay/schedules')
      .set(as('officer'))
      .send({ programmeId: p.body.id, recurrence: once(start, end) })
      .expect(201);
    await approve(s.body.id);
    return s.body.id as number;
  };
  const once = (start: number, end: number) => ({
    kind: 'once',
    dates: [shanghaiDay(new Date(start))],
    start: wall(start),
    end: wall(end),
  });
  const approve = async (id: number) => {
    await t.http.post(`/api/relay/schedules/${id}/submit`).set(as('officer')).expect(200);
    await t.http.post(`/api/relay/schedules/${id}/approve`).set(as('approver')).expect(200);
  };
  const edit = async (id: number, start: number, end: number) => {
    await t.http
      .patch(`/api/relay/schedules/${id}`)
      .set(as('officer'))
      .send({ recurrence: once(start, end) })
      .expect(200);
    await approve(id);
  };
  const terminalsOf = (village: number) => UNITS.map((u) => county.terminalIds[village][u]);
  /** A whole second at least `ms` ahead. */
  const ahead = (ms: number) => Math.ceil((Date.now() + ms) / 1000) * 1000;
  const plays = (village: number, unit: number, broadcastId: string): PlayRecord[] =>
    (county.network.gateways[village].bus.device(unit)?.playLog?.() ?? []).filter(
      (p) => p.handle === broadcastHandle(broadcastId),
    );
  const broadcastOf = async (scheduleId: number, start: number): Promise<string> =>
    (await t.dataSource.getRepository(SlotRunEntity).findOneByOrFail({ scheduleId, plannedStart: new Date(start) }))
      .broadcastId;

  it('starts every target on the planned second with the slot end in the play, and stops on it', async () => {
    const start = ahead(5000);
    const end = start + 4000;
    const id = await publish(0, start, end);
    const ids = terminalsOf(0);
    const ended = await all(ids, (r) => r.scheduleId === id && r.actualEnd !== null);
    const broadcastId = await broadcastOf(id, start);
    const played = commands.filter((c) => c.command.code === 'play' && c.command.broadcastId === broadcastId);
    expect(played.length).toBeGreaterThan(0);
    for (const { command } of played)
      expect(command).toMatchObject({
        source: 'fm',
        sourceParam: 9530,
        broadcastClass: 5,
        priority: 6,
        startAt: new Date(start),
        endAt: new Date(end),
      });
    // the simulated terminals sounded from the planned second to the planned end
    for (const u of UNITS)
      expect(plays(0, u, broadcastId)).toEqual([expect.objectContaining({ startAt: start, endAt: end, source: 'fm' })]);
    for (const r of ended)
      expect(r).toMatchObject({
        plannedStart: new Date(start).toISOString(),
        actualStart: new Date(start).toISOString(),
        actualEnd: new Date(end).toISOString(),
        source: 'fm',
        onTime: true,
        interruptions: [],
      });
    // the backstop stop went out at the end
    expect(commands.some((c) => c.command.code === 'stop' && c.command.broadcastId === broadcastId)).toBe(true);
  });

  it('moves a slot not started yet to its new time when an edit is published', async () => {
    const start = ahead(9000);
    const id = await publish(1, start, start + 20_000);
    const moved = start + 3000;
    await edit(id, moved, moved + 3000);
    const ids = terminalsOf(1);
    await all(ids, (r) => r.scheduleId === id && r.actualEnd !== null);
    const broadcastId = await broadcastOf(id, moved);
    for (const u of UNITS)
      expect(plays(1, u, broadcastId)).toEqual([expect.objectContaining({ startAt: moved, endAt: moved + 3000 })]);
    const before = await t.dataSource
      .getRepository(AsRunEntity)
      .countBy({ scheduleId: id, plannedStart: new Date(start) });
    expect(before).toBe(0);
  });

  it('stops a playing slot at its new end when shortened, and at once when withdrawn', async () => {
    const start = ahead(4000);
    const end = start + 60_000;
    const a = await publish(0, start, end);
    const b = await publish(1, start, end);
    await all(
      [...terminalsOf(0), ...terminalsOf(1)],
      (r) => r.plannedStart === new Date(start).toISOString() && r.actualStart !== null,
    );
    const newEnd = ahead(3000);
    await edit(a, start, newEnd);
    await all(terminalsOf(0), (r) => r.scheduleId === a && r.actualEnd !== null);
    const ba = await broadcastOf(a, start);
    for (const u of UNITS) {
      const [p] = plays(0, u, ba);
      expect(p.endAt).toBeGreaterThanOrEqual(newEnd);
      expect(p.endAt).toBeLessThan(end);
    }
    const withdrawnAt = Date.now();
    await t.http.post(`/api/relay/schedules/${b}/withdraw`).set(as('officer')).expect(200);
    const stopped = await all(
      terminalsOf(1),
      (r) => r.scheduleId === b && r.actualEnd !== null && r.interruptions.length > 0,
    );
    const bb = await broadcastOf(b, start);
    for (const u of UNITS) expect(plays(1, u, bb)[0].endAt).toBeLessThan(end);
    for (const r of stopped) {
      expect(Date.parse(r.actualEnd as string)).toBeGreaterThanOrEqual(withdrawnAt);
      expect(r.interruptions).toEqual([
        expect.objectContaining({ cause: 'removed from the published schedule', to: r.plannedEnd }),
      ]);
    }
  });

  it('lengthens a playing slot: the terminals playing are sent the new end and play on to it', async () => {
    const start = ahead(4000);
    const end = start + 15_000;
    const id = await publish(0, start, end);
    const ids = terminalsOf(0);
    await all(ids, (r) => r.scheduleId === id && r.actualStart !== null);
    const newEnd = end + 3000;
    await edit(id, start, newEnd);
    const ended = await all(ids, (r) => r.scheduleId === id && r.actualEnd !== null);
    const b = await broadcastOf(id, start);
    expect(
      commands.some(
        (c) => c.command.code === 'play' && c.command.broadcastId === b && c.command.endAt?.getTime() === newEnd,
      ),
    ).toBe(true);
    for (const u of UNITS) {
      const log = plays(0, u, b);
      expect(log[0].startAt).toBe(start);
      expect(log[log.length - 1].endAt).toBe(newEnd);
    }
    for (const r of ended) expect(r).toMatchObject({ actualEnd: new Date(newEnd).toISOString(), interruptions: [] });
  });

  it('starts late, for what remains, a slot put on air after its planned start, and logs why', async () => {
    const start = Math.floor(Date.now() / 1000) * 1000 - 2000;
    const id = await publish(0, start, start + 20_000);
    const ids = terminalsOf(0);
    const rows = await all(ids, (r) => r.scheduleId === id && r.actualStart !== null && r.interruptions[0]?.to != null);
    for (const r of rows) {
      expect(Date.parse(r.actualStart as string)).toBeGreaterThan(start + 1000);
      expect(r.onTime).toBe(false);
      expect(r.interruptions).toEqual([
        expect.objectContaining({ cause: LATE_LAUNCH_CAUSE, from: r.plannedStart, to: r.actualStart }),
      ]);
    }
    await t.http.post(`/api/relay/schedules/${id}/withdraw`).set(as('officer')).expect(200);
    await all(ids, (r) => r.scheduleId === id && r.actualEnd !== null);
  });

  it('starts late a terminal that was offline at the start once it is back, with the cause in the as-run log', async () => {
    const ids = terminalsOf(1);
    county.network.setFault(1, 4, 'power-loss');
    const start = ahead(4000);
    const id = await publish(1, start, start + 60_000);
    const down = await asRun(
      (r) =>
        r.terminalId === ids[3] &&
        r.scheduleId === id &&
        r.interruptions.some((i) => i.cause.startsWith('not started')),
    );
    // the scenario is a terminal back after the start: it stays off for the slot's first seconds (not a wait for the
    // system, which is told by the as-run rows)
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, start + 1500 - Date.now())));
    county.network.setFault(1, 4, 'none');
    const late = await asRun((r) => r.terminalId === ids[3] && r.scheduleId === id && r.actualStart !== null);
    expect(Date.parse(late.actualStart as string)).toBeGreaterThan(start + 1000);
    expect(late.interruptions).toEqual([
      expect.objectContaining({ cause: down.interruptions[0].cause, from: late.plannedStart, to: late.actualStart }),
    ]);
    const b = await broadcastOf(id, start);
    expect(plays(1, 4, b)).toEqual([expect.objectContaining({ source: 'fm', endAt: null })]);
    await t.http.post(`/api/relay/schedules/${id}/withdraw`).set(as('officer')).expect(200);
    await all(ids, (r) => r.scheduleId === id && r.actualEnd !== null);
  });

  it('gives way to an alert and comes back after it; the as-run log says what was cut and for how long', async () => {
    const start = ahead(4000);
    const id = await publish(1, start, start + 90_000);
    const ids = terminalsOf(1);
    await all(ids, (r) => r.scheduleId === id && r.actualStart !== null);
    const dispatch = t.app.get(DispatchService);
    const cut = ids.slice(0, 2);
    const o = order(cut, { priority: 2, severity: 2 });
    await t.app.get(Transactions).run((tx) => dispatch.plan(o, tx));
    dispatch.launch(o.broadcastId);
    await dispatch.settled(o.broadcastId);
    // the row once the alert's cut is closed (the watch may have logged something of its own meanwhile)
    const cause = `preempted by alert ${o.alertId} (broadcast ${o.broadcastId})`;
    const back = await all(
      cut,
      (r) => r.scheduleId === id && r.interruptions.some((i) => i.cause === cause && i.to !== null),
    );
    for (const r of back) {
      const cuts = r.interruptions.filter((i) => i.cause === cause);
      expect(cuts).toHaveLength(1);
      expect(Date.parse(cuts[0].to as string)).toBeGreaterThan(Date.parse(cuts[0].from));
    }
    const relay = await broadcastOf(id, start);
    for (const u of [1, 2]) {
      const log = county.network.gateways[1].bus.device(u)?.playLog?.() ?? [];
      const alert = log.findIndex((p) => p.handle === broadcastHandle(o.broadcastId));
      expect(alert).toBeGreaterThan(0);
      expect(log[alert - 1].handle).toBe(broadcastHandle(relay));
      expect(log[alert + 1]).toMatchObject({ handle: broadcastHandle(relay), endAt: null });
    }
    await t.http.post(`/api/relay/schedules/${id}/withdraw`).set(as('officer')).expect(200);
    await all(ids, (r) => r.scheduleId === id && r.actualEnd !== null);
  });

  it('raises a grouped alarm for a wrong source, and falls back to line-in there and where the FM signal is weak', async () => {
    const start = ahead(4000);
    const id = await publish(0, start, start + 90_000, {
      fallback: { kind: 'line-in', channel: 1 },
      minSignalQuality: 50,
    });
    const ids = terminalsOf(0);
    await all(ids, (r) => r.scheduleId === id && r.actualStart !== null);
    const alarms = t.app.get(AlarmsService);
    const raised = (kind: string) =>
      firstValueFrom(
        alarms.events.pipe(filter((e: PublishedAlarmEvent) => e.type === 'raised' && e.alarm.kind === kind)),
      );
    const wrong = raised('relay-source');
    county.network.switchSource(0, 1, 'ip');
    expect((await wrong).alarm).toMatchObject({ terminalIds: [ids[0]], gatewayId: county.gatewayIds[0] });
    await asRun(
      (r) =>
        r.terminalId === ids[0] &&
        r.scheduleId === id &&
        r.interruptions.some((i) => i.cause === 'watch: plays ip instead of fm'),
    );

    // ours on another source for FALLBACK_AFTER_MS: that terminal falls back too (a programme with a fallback)
    const moved = await asRun((r) => r.terminalId === ids[0] && r.scheduleId === id && r.source === 'line-in');
    expect(moved.interruptions.map((i) => i.cause)).toEqual(
      expect.arrayContaining(['watch: plays ip instead of fm', 'watch: fell back to line-in']),
    );

    const weak = raised('relay-signal');
    county.network.setSignalQuality(0, 2, 20);
    expect((await weak).alarm).toMatchObject({ terminalIds: [ids[1]] });
    const fell = await asRun((r) => r.terminalId === ids[1] && r.scheduleId === id && r.source === 'line-in');
    expect(fell.interruptions.map((i) => i.cause)).toEqual(
      expect.arrayContaining(['watch: signal 20 below 50 on fm', 'watch: fell back to line-in']),
    );
    const broadcastId = await broadcastOf(id, start);
    const log = plays(0, 2, broadcastId);
    expect(log[log.length - 1]).toMatchObject({ source: 'line-in', endAt: null });
    await t.http.post(`/api/relay/schedules/${id}/withdraw`).set(as('officer')).expect(200);
    await all(ids, (r) => r.scheduleId === id && r.actualEnd !== null);
  });
});
