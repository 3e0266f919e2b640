/**
 * 断网续播 over a simulated county (docs/relay.md, "Held schedules"): the controller writes each capable terminal's
 * held schedule from the published plan; it is then closed during a slot, and the simulated terminals — which keep
 * running on their own clock — play the next slot from their tables once they have heard nothing for the hold-off.
 * Restarted after that slot ended, the controller reads their play logs and the as-run log holds those plays, marked
 * as held; the terminal without the capability (every 4th unit) played nothing of it.
 * Real time, as the other relay suites: every wait is on an event, except the one wait for the slot to pass while the
 * controller is down, which is the scenario itself (a timer to an instant on the clock the terminals run on).
 */
import { filter, firstValueFrom } from 'rxjs';
import { systemClock } from '../../device-drivers/transport/clock';
import type { SimulatedTerminal } from '../../device-drivers/simulator/terminal/simulated-terminal';
import { HELD_STATES } from '../../firmware-protocols/terminal-modbus';
import { FieldBuses } from '../../src/field/field-buses';
import { HeldScheduleSync } from '../../src/relay/held/held-sync.service';
import { shanghaiDay } from '../../src/relay/recurrence';
import { AsRunEntity } from '../../src/relay/relay.entities';
import { RelayChanges, type AsRunView } from '../../src/relay/relay-view';
import { createTestApp, type TestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { COUNTY, registerCounty, UNITS, type County } from '../dispatch/county';

jest.setTimeout(120_000);

const wall = (ms: number): string => new Date(ms + 8 * 3600_000).toISOString().slice(11, 19);
const ENV = {
  DALABA_FIELD: 'on',
  DALABA_POLL_PAUSE_MS: '300',
  DALABA_START_LEAD_MS: '800',
  DALABA_HELD_HOLD_OFF: '2',
  DALABA_HELD_SYNC: '1',
};

forEachDatabase('held schedules (断网续播) over a simulated county', (kind) => {
  let t: TestApp;
  let county: County;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp({ database: kind, env: ENV });
    const admin = await t.adminToken();
    county = await registerCounty(t, admin, { olderEveryNth: 4 });
    for (const [name, role] of [
      ['officer', 'officer'],
      ['approver', 'approver'],
    ] as const)
      tokens[name] = (await t.createUser({ username: `${name}-${kind}`, roles: [role], scopes: [COUNTY] })).token;
  });

  afterAll(async () => {
    await t?.close();
    await county?.network.stop();
  });

  const as = (who: string) => t.auth(tokens[who]);
  const device = (unit: number) => county.network.gateways[0].bus.device(unit) as SimulatedTerminal;
  const until = (at: number) =>
    new Promise<void>((resolve) => systemClock.setTimeout(resolve, Math.max(0, at - systemClock.now())));

  const publish = async (name: string, start: number, end: number): Promise<number> => {
    const p = await t.http
      .post('/api/relay/programmes')
      .set(as('officer'))
      .send({
        name,
        source: { kind: 'fm', frequency: 9530 },
        priorityClass: 'county',
        targets: { areaCodes: [county.villages[0]] },
      })
      .expect(201);
    const s = await t.http
      .post('/api/relay/schedules')
      .set(as('officer'))
      .send({
        programmeId: p.body.id,
        recurrence: { kind: 'once', dates: [shanghaiDay(new Date(start))], start: wall(start), end: wall(end) },
      })
      .expect(201);
    await t.http.post(`/api/relay/schedules/${s.body.id}/submit`).set(as('officer')).expect(200);
    await t.http.post(`/api/relay/schedules/${s.body.id}/approve`).set(as('approver')).expect(200);
    return s.body.id as number;
  };

  it('plays the slot from the terminals while the controller is down, and logs it when it is back', async () => {
    const aStart = Math.ceil((Date.now() + 6000) / 1000) * 1000;
    const a = await publish('县台新闻', aStart, aStart + 8000);
    const bStart = aStart + 11_000;
    const bEnd = bStart + 4000;
    const b = await publish('县台天气', bStart, bEnd);
    const ids = UNITS.map((u) => county.terminalIds[0][u]);
    const writeAll = jest.spyOn(t.app.get(FieldBuses), 'heldWriteAll');

    // every capable terminal holds both slots, verified by read-back; unit 4 (older firmware) holds nothing
    await t.app.get(HeldScheduleSync).pass();
    for (const u of UNITS) {
      const held = device(u).model.held;
      if (u === 4) expect(held.active).toBeNull();
      else expect(held.active?.entries.map((e) => e.start * 1000)).toEqual([aStart, bStart]);
      if (u !== 4) expect(held.state).toBe(HELD_STATES.active);
    }
    // the three capable terminals of the bus share the table: it went out bus-wide
    expect(writeAll).toHaveBeenCalledWith(county.gatewayIds[0], ids.slice(0, 3), expect.anything(), expect.anything());

    // the controller is closed during slot A, once every target plays it
    const started = new Set<number>();
    const allStarted = firstValueFrom(
      t.app.get(RelayChanges).stream.pipe(
        filter((c) => {
          if (c.kind === 'asRun' && c.asRun.scheduleId === a && c.asRun.actualStart !== null)
            started.add(c.asRun.terminalId);
          return started.size === ids.length;
        }),
      ),
    );
    await allStarted;
    await t.close({ keepDatabase: true });

    // slot B passes with nobody commanding the terminals
    await until(bEnd + 1000);
    t = await createTestApp({ database: kind, db: t.db, env: ENV });
    const sync = t.app.get(HeldScheduleSync);
    const rows = async (): Promise<AsRunEntity[]> =>
      t.dataSource.getRepository(AsRunEntity).findBy({ scheduleId: b, heldPlay: true });
    // the start-up pass reads the logs; a pass that met a bus still connecting leaves the rest to the next
    for (let pass = 0; (await rows()).length < 3 && pass < 20; pass++) await sync.pass();

    const held = await rows();
    expect(held.map((r) => r.terminalId).sort((x, y) => x - y)).toEqual(ids.slice(0, 3));
    for (const r of held)
      expect(r).toMatchObject({
        plannedStart: new Date(bStart),
        actualStart: new Date(bStart),
        actualEnd: new Date(bEnd),
        source: 'fm',
        heldPlay: true,
      });
    // the terminals sounded it from their tables; the older one stayed silent
    for (const u of UNITS) {
      const plays = device(u)
        .playLog(Date.now())
        .filter((p) => p.held);
      expect(plays).toEqual(
        u === 4 ? [] : [{ handle: 0, source: 'fm', priority: 6, startAt: bStart, endAt: bEnd, held: true }],
      );
    }
    // and the logs were acknowledged: nothing left to read
    for (const u of [1, 2, 3]) expect(device(u).model.held.log).toEqual([]);

    // the as-run report shows the held plays
    const admin = await t.adminToken();
    const report = await t.http
      .get(`/api/relay/as-run?date=${shanghaiDay(new Date(bStart))}&areaCode=${county.villages[0]}`)
      .set(t.auth(admin))
      .expect(200);
    const items = (report.body as { items: AsRunView[] }).items.filter((i) => i.scheduleId === b && i.heldPlay);
    expect(items).toHaveLength(3);
    expect(items.every((i) => i.onTime)).toBe(true);
  });
});
