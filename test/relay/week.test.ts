/**
 * GET /api/relay/week (the console's week grid): the schedules reaching a region over seven days, the revision on
 * air apart from the one in draft or review, the conflicts the day view resolves there, and the area scope — a town's
 * officer neither reads another town's week nor sees a county programme it cannot see in full.
 */
import { dayNumber, dayOf, isoWeekday, shanghaiDay } from '../../src/relay/recurrence';
import { TestApp, createTestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { COUNTY, TOWN_A, TOWN_B, buildCounty } from '../registry/fixture';

jest.setTimeout(60_000);

interface WeekBody {
  from: string;
  days: string[];
  schedules: {
    id: number;
    state: string;
    priorityClass: string;
    days: { date: string; onAir: { start: string; end: string } | null; working: { start: string } | null }[];
  }[];
  conflicts: { date: string; scheduleId: number; toScheduleId: number; terminals: number }[];
}

forEachDatabase('relay week of a region', (database) => {
  let t: TestApp;
  const tokens: Record<string, string> = {};
  const today = shanghaiDay(new Date());
  const monday = dayOf(dayNumber(today) - isoWeekday(today) + 1);
  const nextMonday = dayOf(dayNumber(monday) + 7);
  const as = (who: string) => t.auth(tokens[who]);
  const ids: Record<string, number> = {};

  beforeAll(async () => {
    t = await createTestApp({ database });
    const admin = await t.adminToken();
    await buildCounty(t, admin, 2);
    const users: [string, ('officer' | 'approver')[], string[]][] = [
      ['officer', ['officer'], [COUNTY]],
      ['officerA', ['officer'], [TOWN_A]],
      ['approver', ['approver'], [COUNTY]],
    ];
    for (const [name, roles, scopes] of users)
      tokens[name] = (await t.createUser({ username: `${name}-w-${database}`, roles, scopes })).token;
    const make = async (name: string, priorityClass: string, areaCodes: string[], start: string, end: string) => {
      const p = await t.http
        .post('/api/relay/programmes')
        .set(as('officer'))
        .send({ name, source: { kind: 'line-in', channel: 1 }, priorityClass, targets: { areaCodes } })
        .expect(201);
      const s = await t.http
        .post('/api/relay/schedules')
        .set(as('officer'))
        .send({ programmeId: p.body.id, recurrence: { kind: 'daily', from: nextMonday, start, end } })
        .expect(201);
      return s.body.id as number;
    };
    ids.county = await make('县台新闻', 'county', [COUNTY], '12:00:00', '12:30:00');
    ids.town = await make('城关镇广播', 'town', [TOWN_A], '12:15:00', '12:45:00');
    ids.draft = await make('干汊河镇广播', 'village', [TOWN_B], '07:00:00', '07:20:00');
    for (const id of [ids.county, ids.town]) {
      await t.http.post(`/api/relay/schedules/${id}/submit`).set(as('officer')).expect(200);
      await t.http.post(`/api/relay/schedules/${id}/approve`).set(as('approver')).expect(200);
    }
  });
  afterAll(() => t?.close());

  const week = async (who: string, query: Record<string, string>) =>
    (await t.http.get('/api/relay/week').query(query).set(as(who)).expect(200)).body as WeekBody;

  it('lays out a region’s week: on air, in draft, and who yields to whom', async () => {
    const w = await week('officer', { from: nextMonday, areaCode: TOWN_A });
    expect(w.days).toHaveLength(7);
    expect(w.days[0]).toBe(nextMonday);
    expect(w.schedules.map((s) => s.id).sort()).toEqual([ids.county, ids.town].sort());
    const county = w.schedules.find((s) => s.id === ids.county)!;
    expect(county.priorityClass).toBe('county');
    expect(county.days.every((d) => d.onAir?.start === '12:00:00' && d.working === null)).toBe(true);
    // both town A's villages, two terminals each: the town's slot yields 12:15–12:30 to the county's
    expect(w.conflicts).toHaveLength(7);
    expect(w.conflicts[0]).toMatchObject({ scheduleId: ids.town, toScheduleId: ids.county, terminals: 4 });

    const b = await week('officer', { from: nextMonday, areaCode: TOWN_B });
    expect(b.schedules.map((s) => s.id).sort()).toEqual([ids.county, ids.draft].sort());
    const draft = b.schedules.find((s) => s.id === ids.draft)!;
    expect(draft.state).toBe('draft');
    expect(draft.days.every((d) => d.onAir === null && d.working?.start === '07:00:00')).toBe(true);
    expect(b.conflicts).toEqual([]);
    // the week before the schedules begin has nothing on any day
    const before = await week('officer', { from: monday, areaCode: TOWN_B });
    const first = before.schedules.find((s) => s.id === ids.county)!;
    expect(first.days.filter((d) => d.onAir).length).toBe(0);
  });

  it('keeps a town’s officer inside the town', async () => {
    await t.http.get('/api/relay/week').query({ from: nextMonday, areaCode: TOWN_B }).set(as('officerA')).expect(403);
    const own = await week('officerA', { from: nextMonday, areaCode: TOWN_A });
    // the county programme reaches beyond the town: the town's officer does not see it, only its own town's
    expect(own.schedules.map((s) => s.id)).toEqual([ids.town]);
    const county = await week('officerA', { from: nextMonday });
    expect(county.schedules.map((s) => s.id)).toEqual([ids.town]);
  });

  it('names the bad field', async () => {
    const res = await t.http
      .get('/api/relay/week')
      .query({ from: '2026-13-01', areaCode: '12' })
      .set(as('officer'))
      .expect(400);
    expect((res.body.details as { field: string }[]).map((d) => d.field).sort()).toEqual(['areaCode', 'from']);
  });
});
