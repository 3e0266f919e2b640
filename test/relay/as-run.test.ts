/**
 * The as-run log (播出记录): rows written through the planner's methods (recordStart, recordEnd, recordInterruption),
 * the day report per region with its on-time rate and gaps, CSV and XLSX exports that carry no formula, scopes, and
 * the relay's changes on /live (kind `relay`) for those who may see them.
 */
import ExcelJS from 'exceljs';
import { io, type Socket } from 'socket.io-client';
import { AsRunService, type AsRunSlot } from '../../src/relay/as-run.service';
import type { LiveDelta, LiveRelay } from '../../src/live/live-payload';
import type { SubscribeReply } from '../../src/live/live-hub';
import { dayNumber, dayOf, shanghaiDay, slotOn } from '../../src/relay/recurrence';
import { TestApp, createTestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { COUNTY, TOWN_A, buildCounty } from '../registry/fixture';

jest.setTimeout(60_000);

async function connect(baseUrl: string, token: string) {
  const socket: Socket = io(`${baseUrl}/live`, { auth: { token }, transports: ['websocket'], reconnection: false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('connect_error', reject);
  });
  const seen: LiveRelay[] = [];
  const waiters: { holds: (r: LiveRelay) => boolean; resolve: () => void }[] = [];
  socket.on('delta', (d: LiveDelta) => {
    for (const r of d.relay ?? []) {
      seen.push(r);
      for (const w of [...waiters])
        if (w.holds(r)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    }
  });
  const until = (holds: (r: LiveRelay) => boolean): Promise<void> =>
    seen.some(holds) ? Promise.resolve() : new Promise((resolve) => waiters.push({ holds, resolve }));
  const subscribe = async (): Promise<SubscribeReply> =>
    (await socket.timeout(10_000).emitWithAck('subscribe', { kind: 'relay', id: null })) as SubscribeReply;
  return { socket, seen, until, subscribe };
}

forEachDatabase('relay as-run log', (database) => {
  let t: TestApp;
  let asRun: AsRunService;
  const tokens: Record<string, string> = {};
  const sockets: Socket[] = [];
  const today = shanghaiDay(new Date());
  const tomorrow = dayOf(dayNumber(today) + 1);
  const as = (who: string) => t.auth(tokens[who]);
  let countyId = 0;
  let townId = 0;
  let terminals: { id: number; areaCode: string }[] = [];

  const publish = async (
    name: string,
    priorityClass: string,
    areaCode: string,
    officer: string,
    start: string,
    end: string,
  ) => {
    const p = await t.http
      .post('/api/relay/programmes')
      .set(as(officer))
      .send({ name, source: { kind: 'fm', frequency: 9530 }, priorityClass, targets: { areaCodes: [areaCode] } })
      .expect(201);
    const s = await t.http
      .post('/api/relay/schedules')
      .set(as(officer))
      .send({ programmeId: p.body.id, recurrence: { kind: 'daily', from: today, start, end } })
      .expect(201);
    await t.http.post(`/api/relay/schedules/${s.body.id}/submit`).set(as(officer)).expect(200);
    await t.http.post(`/api/relay/schedules/${s.body.id}/approve`).set(as('approver')).expect(200);
    return s.body.id as number;
  };

  beforeAll(async () => {
    t = await createTestApp({ database });
    const admin = await t.adminToken();
    await buildCounty(t, admin, 1);
    for (const [name, roles, scopes] of [
      ['officer', ['officer'], [COUNTY]],
      ['officerA', ['officer'], [TOWN_A]],
      ['approver', ['approver'], [COUNTY]],
      ['viewerA', ['viewer'], [TOWN_A]],
    ] as const)
      tokens[name] = (
        await t.createUser({ username: `${name}-${database}`, roles: [...roles], scopes: [...scopes] })
      ).token;
    asRun = t.app.get(AsRunService);
    // a programme name a spreadsheet would take for a formula
    countyId = await publish('=HYPERLINK("http://x","新闻")', 'county', COUNTY, 'officer', '12:00', '12:30');
    townId = await publish('镇广播', 'town', TOWN_A, 'officerA', '07:00', '07:20');
    const list = await t.http.get('/api/terminals').query({ pageSize: 100 }).set(t.auth(admin)).expect(200);
    terminals = (list.body.items as { id: number; areaCode: string }[]).sort((a, b) => a.id - b.id);
  });
  afterAll(async () => {
    for (const s of sockets) s.disconnect();
    await t?.close();
  });

  const slotOf = (scheduleId: number, terminalId: number, start: string, end: string): AsRunSlot => {
    const { start: plannedStart, end: plannedEnd } = slotOn({ start, end }, tomorrow);
    return { terminalId, scheduleId, plannedStart, plannedEnd };
  };
  const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);

  it('records starts, ends and interruptions and reports the day with its on-time rate and gaps', async () => {
    const county = await connect(t.baseUrl, tokens.officer);
    const town = await connect(t.baseUrl, tokens.viewerA);
    sockets.push(county.socket, town.socket);
    await expect(county.subscribe()).resolves.toMatchObject({ ok: true, subscription: { kind: 'relay' } });
    await expect(town.subscribe()).resolves.toMatchObject({ ok: true });

    const [t1, t2, t3, t4] = terminals; // t1, t2 in town A; t3, t4 in town B
    expect(t1.areaCode.startsWith('341523100')).toBe(true);
    const s1 = slotOf(countyId, t1.id, '12:00', '12:30');
    await asRun.recordStart(s1, plus(s1.plannedStart, 120), 'fm');
    await asRun.recordInterruption(s1, 'alert 7', plus(s1.plannedStart, 600_000), null);
    await asRun.recordInterruption(s1, 'alert 7', plus(s1.plannedStart, 600_000), plus(s1.plannedStart, 660_000));
    await asRun.recordEnd(s1, s1.plannedEnd);
    const s2 = slotOf(countyId, t2.id, '12:00', '12:30');
    await asRun.recordStart(s2, plus(s2.plannedStart, 5000), 'line-in');
    await asRun.recordEnd(s2, plus(s2.plannedEnd, -10_000));
    const s3 = slotOf(countyId, t3.id, '12:00', '12:30');
    await asRun.recordStart(s3, plus(s3.plannedStart, -300), 'fm');
    await asRun.recordEnd(s3, s3.plannedEnd);
    await asRun.recordInterruption(
      slotOf(countyId, t4.id, '12:00', '12:30'),
      'terminal offline',
      plus(s3.plannedStart, 0),
      null,
    );
    const s5 = slotOf(townId, t1.id, '07:00', '07:20');
    await asRun.recordStart(s5, s5.plannedStart, 'fm');
    await expect(asRun.recordStart(slotOf(9999, t1.id, '07:00', '07:20'), s5.plannedStart, 'fm')).rejects.toThrow(
      /9999/,
    );

    const all = await t.http.get('/api/relay/as-run').query({ date: tomorrow }).set(as('officer')).expect(200);
    expect(all.body.summary).toEqual({
      slots: 5,
      started: 4,
      onTime: 3,
      onTimeRate: 0.6,
      missed: 1,
      interrupted: 2,
      gapSeconds: 0.12 + 60 + 5 + 10 + 1800,
    });
    const row1 = (all.body.items as { terminalId: number; scheduleId: number }[]).find(
      (r) => r.terminalId === t1.id && r.scheduleId === countyId,
    );
    expect(row1).toMatchObject({
      startOffsetMs: 120,
      onTime: true,
      source: 'fm',
      gapSeconds: 60.12,
      interruptions: [{ cause: 'alert 7', to: plus(s1.plannedStart, 660_000).toISOString() }],
    });
    const mine = await t.http.get('/api/relay/as-run').query({ date: tomorrow }).set(as('viewerA')).expect(200);
    expect((mine.body.items as { areaCode: string }[]).every((r) => r.areaCode.startsWith('341523100'))).toBe(true);
    expect(mine.body.summary.slots).toBe(3);
    await t.http.get('/api/relay/as-run').query({ date: tomorrow, areaCode: COUNTY }).set(as('viewerA')).expect(200);
    await t.http.get('/api/relay/as-run').query({ date: '2026-02-30' }).set(as('viewerA')).expect(400);

    // live: the county officer sees every row; the town viewer only its town's rows, never the county's schedules
    await county.until((r) => r.kind === 'asRun' && r.asRun.terminalId === t4.id);
    await town.until((r) => r.kind === 'asRun' && r.asRun.terminalId === t1.id && r.asRun.scheduleId === townId);
    expect(town.seen.every((r) => r.kind === 'asRun' && r.asRun.areaCode.startsWith('341523100'))).toBe(true);
  });

  it('emits publish and withdraw on /live to those who see the schedule', async () => {
    const county = await connect(t.baseUrl, tokens.officer);
    const town = await connect(t.baseUrl, tokens.officerA);
    sockets.push(county.socket, town.socket);
    await county.subscribe();
    await town.subscribe();
    await t.http.post(`/api/relay/schedules/${townId}/withdraw`).set(as('officerA')).expect(200);
    await t.http.post(`/api/relay/schedules/${countyId}/withdraw`).set(as('officer')).expect(200);
    await county.until((r) => r.kind === 'schedule' && r.schedule.id === countyId && r.schedule.state === 'withdrawn');
    await town.until((r) => r.kind === 'schedule' && r.schedule.id === townId && !r.schedule.onAir);
    await county.until((r) => r.kind === 'schedule' && r.schedule.id === townId);
    expect(town.seen.some((r) => r.kind === 'schedule' && r.schedule.id === countyId)).toBe(false);
  });

  it('exports the day as CSV and XLSX without formulas', async () => {
    const csv = await t.http
      .get('/api/relay/as-run/export')
      .query({ date: tomorrow, format: 'csv' })
      .set(as('officer'))
      .expect(200)
      .expect('Content-Type', /text\/csv/);
    expect(csv.text.split('\n')[0]).toMatch(/^day,terminalId,areaCode,scheduleId,programmeName/);
    expect(csv.text).toContain(`"'=HYPERLINK(""http://x"",""新闻"")"`);
    expect(csv.text).not.toMatch(/(^|,)"?=/m);
    const xlsx = await t.http
      .get('/api/relay/as-run/export')
      .query({ date: tomorrow, format: 'xlsx' })
      .set(as('officer'))
      .buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => cb(null, Buffer.concat(chunks)));
      })
      .expect(200);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(xlsx.body as ArrayBuffer);
    const sheet = wb.worksheets[0];
    expect(sheet.rowCount).toBe(6);
    sheet.eachRow((row) =>
      row.eachCell((cell) => {
        expect(cell.type).not.toBe(ExcelJS.ValueType.Formula);
      }),
    );
    await t.http
      .get('/api/relay/as-run/export')
      .query({ date: tomorrow, format: 'pdf' })
      .set(as('officer'))
      .expect(400);
  });
});
