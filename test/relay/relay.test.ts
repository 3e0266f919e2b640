/**
 * The daily relay over HTTP: programmes and their checks, schedules through the review (三审) with area scopes and
 * priority classes, the day view from published revisions only, conflicts before publishing, withdraw, the audit.
 * The attacks come first: no edit — of the schedule or of its programme — reaches the air without a second person.
 */
import { dayNumber, dayOf, shanghaiDay } from '../../src/relay/recurrence';
import { TestApp, createTestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { COUNTY, TOWN_A, TOWN_B, buildCounty } from '../registry/fixture';

jest.setTimeout(60_000);

interface Slot {
  scheduleId: number;
  programmeName: string;
  start: string;
  end: string;
  plays: { from: string; to: string }[];
  yields: { toScheduleId: number }[];
}
interface Day {
  terminals: { terminalId: number; areaCode: string; slots: Slot[] }[];
}

forEachDatabase('relay programmes and schedules', (database) => {
  let t: TestApp;
  let admin: string;
  const tokens: Record<string, string> = {};
  const ids: Record<string, number> = {};
  const today = shanghaiDay(new Date());
  const tomorrow = dayOf(dayNumber(today) + 1);
  const as = (who: string) => t.auth(tokens[who]);

  beforeAll(async () => {
    t = await createTestApp({ database });
    admin = await t.adminToken();
    await buildCounty(t, admin, 2);
    const users: [string, ('officer' | 'approver' | 'viewer')[], string[]][] = [
      ['officer', ['officer'], [COUNTY]],
      ['officerA', ['officer'], [TOWN_A]],
      ['approver', ['approver'], [COUNTY]],
      ['approverA', ['approver'], [TOWN_A]],
      ['both', ['officer', 'approver'], [COUNTY]],
      ['viewer', ['viewer'], [COUNTY]],
    ];
    for (const [name, roles, scopes] of users) {
      const u = await t.createUser({ username: `${name}-${database}`, roles, scopes });
      tokens[name] = u.token;
      ids[name] = u.id;
    }
  });
  afterAll(() => t?.close());

  const programme = async (who: string, over: object = {}) =>
    (
      await t.http
        .post('/api/relay/programmes')
        .set(as(who))
        .send({
          name: '县台新闻',
          source: { kind: 'fm', frequencyMHz: 95.3 },
          priorityClass: 'county',
          targets: { areaCodes: [COUNTY] },
          ...over,
        })
        .expect(201)
    ).body as { id: number; priority: number; source: { frequency: number } };
  const recurrence = (over: object = {}) => ({ kind: 'daily', from: today, start: '12:00', end: '12:30', ...over });
  const schedule = async (who: string, programmeId: number, over: object = {}) =>
    (
      await t.http
        .post('/api/relay/schedules')
        .set(as(who))
        .send({ programmeId, recurrence: recurrence(over) })
        .expect(201)
    ).body as { id: number; state: string; revision: number };
  const publish = async (id: number, officer = 'officer', approver = 'approver') => {
    await t.http.post(`/api/relay/schedules/${id}/submit`).set(as(officer)).expect(200);
    return (await t.http.post(`/api/relay/schedules/${id}/approve`).set(as(approver)).expect(200)).body as {
      schedule: { state: string; onAir: boolean };
      conflicts: { scheduleId: number; winnerScheduleId: number; decidedBy: string; days: string[] }[];
    };
  };
  const day = async (who = 'viewer', query: Record<string, string | number> = {}) =>
    (
      await t.http
        .get('/api/relay/day')
        .query({ date: tomorrow, ...query })
        .set(as(who))
        .expect(200)
    ).body as Day;
  const slotsOf = (d: Day, scheduleId: number) =>
    d.terminals.flatMap((x) => x.slots.filter((s) => s.scheduleId === scheduleId).map((s) => ({ ...s, t: x })));
  const withdraw = (id: number) => t.http.post(`/api/relay/schedules/${id}/withdraw`).set(as('officer')).expect(200);

  it('refuses bad programmes with a message per field', async () => {
    const res = await t.http
      .post('/api/relay/programmes')
      .set(as('officer'))
      .send({
        name: ' ',
        source: { kind: 'fm', frequency: 8000 },
        fallback: { kind: 'line-in' },
        priorityClass: 'state',
        targets: { areaCodes: ['12'] },
      })
      .expect(400);
    const fields = (res.body.details as { field: string }[]).map((d) => d.field);
    expect(fields).toEqual(expect.arrayContaining(['name', 'source.frequency', 'priorityClass', 'targets.areaCodes']));
    const meaning = await t.http
      .post('/api/relay/programmes')
      .set(as('officer'))
      .send({
        name: '点播',
        source: { kind: 'playlist', clipIds: ['no-such-clip'] },
        fallback: { kind: 'line-in' },
        priorityClass: 'county',
        targets: { areaCodes: [], terminalIds: [999999] },
      })
      .expect(400);
    expect(meaning.body.details).toEqual(
      expect.arrayContaining([
        { field: 'source.clipIds.0', message: 'no library clip no-such-clip' },
        expect.objectContaining({ field: 'fallback.channel' }),
        { field: 'targets.terminalIds.0', message: 'terminal 999999 does not exist' },
      ]),
    );
    const fm = await programme('officer');
    expect(fm).toMatchObject({ priority: 6, source: { kind: 'fm', frequency: 9530 } });
  });

  it('keeps a town inside its town and below the county (上级优先)', async () => {
    await t.http
      .post('/api/relay/programmes')
      .set(as('officerA'))
      .send({
        name: '镇广播',
        source: { kind: 'line-in', channel: 1 },
        priorityClass: 'town',
        targets: { areaCodes: [TOWN_B] },
      })
      .expect(403);
    const high = await t.http
      .post('/api/relay/programmes')
      .set(as('officerA'))
      .send({
        name: '镇广播',
        source: { kind: 'line-in', channel: 1 },
        priorityClass: 'county',
        targets: { areaCodes: [TOWN_A] },
      })
      .expect(403);
    expect(high.body.message).toMatch(/priority class county is above your level/);
    const county = await programme('officer');
    await t.http.get(`/api/relay/programmes/${county.id}`).set(as('officerA')).expect(403);
    await t.http.patch(`/api/relay/programmes/${county.id}`).set(as('officerA')).send({ volume: 10 }).expect(403);
    await t.http
      .post('/api/relay/schedules')
      .set(as('officerA'))
      .send({ programmeId: county.id, recurrence: recurrence() })
      .expect(403);
    const list = await t.http.get('/api/relay/programmes').set(as('officerA')).expect(200);
    expect((list.body.items as { id: number }[]).map((p) => p.id)).not.toContain(county.id);
    const town = await programme('officerA', {
      name: '镇广播',
      priorityClass: 'town',
      targets: { areaCodes: [TOWN_A] },
    });
    expect(town.priority).toBe(7);
    const s = await schedule('officerA', town.id);
    await t.http.post(`/api/relay/schedules/${s.id}/submit`).set(as('officerA')).expect(200);
    // a county schedule's approver from another town: the programme is outside their scope
    const p2 = await programme('officer', { targets: { areaCodes: [TOWN_B] } });
    const s2 = await schedule('officer', p2.id);
    await t.http.post(`/api/relay/schedules/${s2.id}/submit`).set(as('officer')).expect(200);
    await t.http.post(`/api/relay/schedules/${s2.id}/approve`).set(as('approverA')).expect(403);
    const rejected = await t.http
      .post(`/api/relay/schedules/${s2.id}/reject`)
      .set(as('approver'))
      .send({ reason: '时间冲突' })
      .expect(200);
    expect(rejected.body).toMatchObject({ state: 'draft', rejectionReason: '时间冲突', onAir: false });
    await t.http.post(`/api/relay/schedules/${s.id}/approve`).set(as('approverA')).expect(200);
    await withdraw(s.id);
  });

  it('refuses schedules that make no sense', async () => {
    const p = await programme('officer');
    const bad = async (r: object, field: string) => {
      const res = await t.http
        .post('/api/relay/schedules')
        .set(as('officer'))
        .send({ programmeId: p.id, recurrence: recurrence(r) })
        .expect(400);
      expect((res.body.details as { field: string }[]).map((d) => d.field)).toContain(field);
    };
    await bad({ start: '12:30', end: '12:00' }, 'recurrence.end');
    await bad({ start: '12:00', end: '12:00' }, 'recurrence.end');
    await bad({ start: '25:00' }, 'recurrence.start');
    await bad({ kind: 'weekly' }, 'recurrence.weekdays');
    await bad({ kind: 'once', from: undefined, dates: ['2020-01-01'] }, 'recurrence.dates');
    await bad({ exceptWeeks: ['2026-W60'] }, 'recurrence.exceptWeeks.0');
    await bad({ from: undefined }, 'recurrence.from');
    await bad({ kind: 'dates', from: undefined, dates: ['2026-02-30'] }, 'recurrence.dates');
  });

  it('attack: the one who drafted, edited or submitted never publishes, and an edit of a published schedule plays only after a new review', async () => {
    const p = await programme('both', { name: '午间新闻' });
    const s = await schedule('both', p.id);
    await t.http.post(`/api/relay/schedules/${s.id}/submit`).set(as('both')).expect(200);
    const own = await t.http.post(`/api/relay/schedules/${s.id}/approve`).set(as('both')).expect(403);
    expect(own.body.message).toMatch(/another user with the approver role/);
    expect(slotsOf(await day(), s.id)).toHaveLength(0); // drafts and submissions do not play
    await t.http.post(`/api/relay/schedules/${s.id}/approve`).set(as('approver')).expect(200);
    const first = slotsOf(await day(), s.id);
    expect(first).toHaveLength(8);
    expect(first[0].start).toBe(`${tomorrow}T04:00:00.000Z`); // 12:00 Asia/Shanghai

    // the approver of revision 1 edits it, submits it and tries to publish their own edit
    const edited = await t.http
      .patch(`/api/relay/schedules/${s.id}`)
      .set(as('both'))
      .send({ recurrence: recurrence({ start: '18:40', end: '19:00' }) })
      .expect(200);
    expect(edited.body).toMatchObject({ state: 'draft', revision: 2, onAir: true, published: { revision: 1 } });
    expect(slotsOf(await day(), s.id)[0].start).toBe(`${tomorrow}T04:00:00.000Z`);
    await t.http.post(`/api/relay/schedules/${s.id}/submit`).set(as('both')).expect(200);
    await t.http.post(`/api/relay/schedules/${s.id}/approve`).set(as('both')).expect(403);
    // an edit after submission sends it back to draft: nothing to approve
    await t.http
      .patch(`/api/relay/schedules/${s.id}`)
      .set(as('officer'))
      .send({ recurrence: recurrence({ start: '18:40', end: '19:10' }) })
      .expect(200);
    await t.http.post(`/api/relay/schedules/${s.id}/approve`).set(as('approver')).expect(409);
    expect(slotsOf(await day(), s.id)[0].start).toBe(`${tomorrow}T04:00:00.000Z`);

    // an edit of the programme (targets, name) does not reach the air either
    await t.http
      .patch(`/api/relay/programmes/${p.id}`)
      .set(as('officer'))
      .send({ name: '午间新闻（改）', targets: { areaCodes: [TOWN_A] } })
      .expect(200);
    const still = slotsOf(await day(), s.id);
    expect(still).toHaveLength(8);
    expect(still[0].programmeName).toBe('午间新闻');
    const view = await t.http.get(`/api/relay/schedules/${s.id}`).set(as('viewer')).expect(200);
    expect(view.body).toMatchObject({ programmeChanged: true, state: 'draft' });

    await t.http.post(`/api/relay/schedules/${s.id}/submit`).set(as('officer')).expect(200);
    await t.http.post(`/api/relay/schedules/${s.id}/approve`).set(as('approver')).expect(200);
    const now = slotsOf(await day(), s.id);
    expect(now).toHaveLength(4);
    expect(now[0]).toMatchObject({ programmeName: '午间新闻（改）', start: `${tomorrow}T10:40:00.000Z` });
    const history = await t.http.get(`/api/relay/schedules/${s.id}`).set(as('viewer')).expect(200);
    expect((history.body.revisions as { action: string }[]).map((r) => r.action)).toEqual([
      'created',
      'submitted',
      'approved',
      'edited',
      'submitted',
      'edited',
      'edited',
      'submitted',
      'approved',
    ]);
    await withdraw(s.id);
    expect(slotsOf(await day(), s.id)).toHaveLength(0);
  });

  it('attack: an edit of the programme under a submitted schedule sends it back to draft and bars its editor from approving', async () => {
    const p = await programme('officer', { name: '政策广播' });
    const s = await schedule('officer', p.id, { kind: 'weekly', weekdays: [6], start: '09:00', end: '09:30' });
    await t.http.post(`/api/relay/schedules/${s.id}/submit`).set(as('officer')).expect(200);
    await t.http
      .patch(`/api/relay/programmes/${p.id}`)
      .set(as('both'))
      .send({ source: { kind: 'ip', stream: 3 } })
      .expect(200);
    const back = await t.http.get(`/api/relay/schedules/${s.id}`).set(as('viewer')).expect(200);
    expect(back.body).toMatchObject({ state: 'draft', submittedById: null });
    expect(back.body.revisions.at(-1)).toMatchObject({ action: 'edited', userId: ids.both });
    await t.http.post(`/api/relay/schedules/${s.id}/approve`).set(as('approver')).expect(409);
    await t.http.post(`/api/relay/schedules/${s.id}/submit`).set(as('officer')).expect(200);
    await t.http.post(`/api/relay/schedules/${s.id}/approve`).set(as('both')).expect(403);
    const ok = await t.http.post(`/api/relay/schedules/${s.id}/approve`).set(as('approver')).expect(200);
    expect(ok.body.schedule.published.programme.source).toEqual({ kind: 'ip', stream: 3 });
    await withdraw(s.id);
  });

  it('shows conflicts before publishing and resolves them by the priority table', async () => {
    const county = await programme('officer', { name: '县台' });
    const sc = await schedule('officer', county.id, { start: '12:00', end: '12:30' });
    expect((await publish(sc.id)).conflicts).toEqual([]);
    const town = await programme('officerA', {
      name: '镇广播',
      priorityClass: 'town',
      targets: { areaCodes: [TOWN_A] },
    });
    const st = await schedule('officerA', town.id, { start: '12:20', end: '12:40' });
    const seen = await t.http.get(`/api/relay/schedules/${st.id}/conflicts`).set(as('officerA')).expect(200);
    expect(seen.body).toEqual([
      expect.objectContaining({ scheduleId: sc.id, winnerScheduleId: sc.id, decidedBy: 'priority', terminalCount: 4 }),
    ]);
    const published = await publish(st.id, 'officerA', 'approver');
    expect(published.conflicts).toEqual([expect.objectContaining({ scheduleId: sc.id, winnerScheduleId: sc.id })]);
    const d = await day('viewer', { areaCode: TOWN_A });
    expect(d.terminals).toHaveLength(4);
    const townSlot = slotsOf(d, st.id)[0];
    expect(townSlot.plays).toEqual([{ from: `${tomorrow}T04:30:00.000Z`, to: `${tomorrow}T04:40:00.000Z` }]);
    expect(townSlot.yields).toEqual([expect.objectContaining({ toScheduleId: sc.id })]);
    // equal class: the schedule published first keeps the air
    const other = await programme('officer', { name: '县台二套' });
    const so = await schedule('officer', other.id, { start: '12:10', end: '12:20' });
    const second = await publish(so.id);
    expect(second.conflicts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ scheduleId: sc.id, winnerScheduleId: sc.id, decidedBy: 'published-first' }),
      ]),
    );
    expect(slotsOf(await day(), so.id).every((s) => s.plays.length === 0)).toBe(true);
    // one terminal's day, and the town officer sees only their town
    const one = await day('officerA', { terminalId: d.terminals[0].terminalId });
    expect(one.terminals).toHaveLength(1);
    expect((await day('officerA')).terminals.every((x) => x.areaCode.startsWith('341523100'))).toBe(true);
    await t.http.get('/api/relay/day').query({ date: tomorrow, areaCode: TOWN_B }).set(as('officerA')).expect(403);
    for (const id of [sc.id, st.id, so.id])
      await t.http.post(`/api/relay/schedules/${id}/withdraw`).set(as('approver')).expect(200);
  });

  it('skips exception dates and weeks in the day view', async () => {
    const p = await programme('officer', { name: '节假日停播' });
    const s = await schedule('officer', p.id, { exceptDates: [tomorrow] });
    await publish(s.id);
    expect(slotsOf(await day(), s.id)).toHaveLength(0);
    const after = dayOf(dayNumber(tomorrow) + 1);
    expect(slotsOf(await day('viewer', { date: after }), s.id)).toHaveLength(8);
    await withdraw(s.id);
  });

  it('audits every step', async () => {
    const res = await t.http
      .get('/api/audit')
      .query({ entityType: 'schedule', pageSize: 500 })
      .set(t.auth(admin))
      .expect(200);
    const actions = new Set((res.body.items as { action: string }[]).map((a) => a.action));
    for (const v of ['create', 'update', 'submit', 'reject', 'publish', 'withdraw'])
      expect(actions).toContain(`relay.schedule.${v}`);
    const p = await t.http.get('/api/audit').query({ entityType: 'programme' }).set(t.auth(admin)).expect(200);
    expect((p.body.items as { action: string }[]).map((a) => a.action)).toContain('relay.programme.update');
  });
});
