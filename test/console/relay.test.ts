/**
 * 日常广播 in Chromium: an officer creates a programme on its page (the API's 400 shown beside the field), drafts a
 * weekly schedule and submits it; the submitter, even holding the approver role, is not offered approve (and the API
 * refuses it); a second approver publishes it; the week grid shows it on air, a new draft of it over /live, and a
 * town's programme that yields to it as a conflict; today's time line shows where the programme plays, where an alert
 * cut it and where it did not start, from as-run rows pushed over /live; the as-run report shows planned against
 * actual with the causes, the on-time rate and its CSV export. A town's officer sees only the town, and its open 节目
 * page follows programmes another user creates, edits or moves away over /live. Every wait is on the page's DOM or a
 * browser event.
 *
 * With DALABA_CONSOLE_SHOTS=<folder> the pages are kept there as console-relay-*-1366.png.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { AsRunService } from '../../src/relay/as-run.service';
import { dayNumber, dayOf, isoWeekday, shanghaiDay } from '../../src/relay/recurrence';
import { type TestApp, createTestApp } from '../support/app';
import { CHROMIUM_PATH, describeWith } from '../support/capabilities';
import { COUNTY, TOWN_A, TOWN_B, VILLAGES, buildCounty } from '../registry/fixture';
import { signedInPage } from './console-env';

const SHOTS = process.env.DALABA_CONSOLE_SHOTS;

jest.setTimeout(180_000);

/** HH:MM of Asia/Shanghai wall time `minutes` from now, clamped to the day. */
function wall(minutes: number): string {
  const ms = Date.now() + 8 * 3_600_000 + minutes * 60_000;
  const today = dayNumber(shanghaiDay(new Date())) * 86_400_000;
  const s = Math.min(Math.max(ms - today, 0), 86_400_000) / 1000;
  const hh = Math.floor(s / 3600);
  return `${String(hh).padStart(2, '0')}:${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}`;
}

describeWith(['chromium'], '日常广播 in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  const tokens: Record<string, string> = {};
  const today = shanghaiDay(new Date());
  const monday = dayOf(dayNumber(today) - isoWeekday(today) + 1);
  let programmeId = 0;
  let scheduleId = 0;
  let officer: Page;
  const errors: string[] = [];
  const shot = async (page: Page, name: string) => {
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `console-relay-${name}-1366.png`), fullPage: true });
  };

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    const admin = await t.adminToken();
    await buildCounty(t, admin, 2);
    for (const [name, roles, scopes] of [
      ['officer1', ['officer'], [COUNTY]],
      ['officer2', ['officer'], [TOWN_A]],
      ['approver1', ['approver'], [COUNTY]],
      ['both1', ['officer', 'approver'], [COUNTY]],
    ] as const)
      tokens[name] = (await t.createUser({ username: name, roles: [...roles], scopes: [...scopes] })).token;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
    const signed = await signedInPage(browser, t.baseUrl, 'officer1');
    officer = signed.page;
    officer.on('pageerror', (e) => errors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('creates a programme, with the API’s field errors beside the fields', async () => {
    await officer.click('#nav a[data-nav=relay]');
    await officer.click('.subtabs a[data-tab=programmes]');
    await officer.locator('#rl-programmes td.muted', { hasText: '暂无节目' }).waitFor();
    await officer.click('#rl-new');
    const form = officer.locator('#pg-form');
    await form.waitFor();
    await form.locator('input[name=name]').fill('县台午间新闻');
    await form.locator('input[name="source.frequencyMHz"]').fill('120');
    await form.locator(`input[name=area][value="${COUNTY}"]`).check();
    await form.locator('input[name=priorityClass][value=county]').check();
    await officer.click('#pg-save');
    await expect(
      form.locator('.field-error[data-for="source"]').filter({ hasText: '108' }).textContent(),
    ).resolves.toContain('信源');
    await form.locator('input[name="source.frequencyMHz"]').fill('95.3');
    await form.locator('input[name=fallbackKind][value=line-in]').check();
    await form.locator('input[name="fallback.channel"]').fill('1');
    await form.locator('input[name=minSignalQuality]').fill('40');
    await officer.click('#pg-save');
    await officer.waitForURL(/#\/programme\/\d+$/);
    programmeId = Number(/programme\/(\d+)/.exec(officer.url())![1]);
    const saved = await t.http.get(`/api/relay/programmes/${programmeId}`).set(t.auth(tokens.officer1)).expect(200);
    expect(saved.body).toMatchObject({
      source: { kind: 'fm', frequency: 9530 },
      fallback: { kind: 'line-in', channel: 1 },
      minSignalQuality: 40,
      priorityClass: 'county',
      targets: { areaCodes: [COUNTY] },
    });
    await shot(officer, 'programme');
  });

  it('drafts a schedule, submits it, and a second approver publishes it', async () => {
    await officer.click('#pg-new-schedule');
    const form = officer.locator('#sc-form');
    await form.waitFor();
    await form.locator('input[name=kind][value=weekly]').check();
    for (let d = 1; d <= 7; d++) await form.locator(`input[name=weekday][value="${d}"]`).check();
    await form.locator('input[name=from]').fill(monday);
    const [start, end] = [wall(-10), wall(30)];
    await form.locator('input[name=start]').fill('25:00');
    await form.locator('input[name=end]').fill(end);
    await form.locator('[data-pick=exceptDates]').fill(`${Number(today.slice(0, 4)) + 1}-01-01`);
    await officer.click('[data-add=exceptDates]');
    await officer.click('#sc-save');
    await form.locator('.field-error[data-for="recurrence.start"]', { hasText: '开始时间' }).waitFor();
    await form.locator('input[name=start]').fill(start);
    await officer.click('#sc-save-submit');
    await officer.locator('#sc-state', { hasText: '待审核' }).waitFor();
    scheduleId = Number(/schedule\/(\d+)/.exec(officer.url())![1]);
    await expect(officer.locator('#sc-approve').count()).resolves.toBe(0);
    const s = await t.http.get(`/api/relay/schedules/${scheduleId}`).set(t.auth(tokens.officer1)).expect(200);
    expect(s.body.recurrence).toMatchObject({ kind: 'weekly', weekdays: [1, 2, 3, 4, 5, 6, 7], from: monday });
    expect(s.body.recurrence.exceptDates).toEqual([`${Number(today.slice(0, 4)) + 1}-01-01`]);

    // one who holds both roles and edited it is not offered approve; the API refuses it too
    await t.http
      .patch(`/api/relay/schedules/${scheduleId}`)
      .set(t.auth(tokens.both1))
      .send({ recurrence: { kind: 'weekly', weekdays: [1, 2, 3, 4, 5, 6, 7], from: monday, start, end } })
      .expect(200);
    await t.http.post(`/api/relay/schedules/${scheduleId}/submit`).set(t.auth(tokens.both1)).expect(200);
    const both = await signedInPage(browser, t.baseUrl, 'both1');
    await both.page.goto(`${t.baseUrl}/#/schedule/${scheduleId}`);
    await both.page.locator('#sc-not-yours').waitFor();
    await expect(both.page.locator('#sc-approve').count()).resolves.toBe(0);
    await t.http.post(`/api/relay/schedules/${scheduleId}/approve`).set(t.auth(tokens.both1)).expect(403);
    expect(both.errors).toEqual([]);
    await both.page.context().close();

    const approver = await signedInPage(browser, t.baseUrl, 'approver1');
    await approver.page.goto(`${t.baseUrl}/#/schedule/${scheduleId}`);
    await approver.page.locator('#sc-history li').nth(3).waitFor();
    await shot(approver.page, 'review');
    await approver.page.click('#sc-approve');
    await approver.page.locator('#sc-state', { hasText: '已发布' }).waitFor();
    // the officer's page follows over /live
    await officer.locator('#sc-state', { hasText: '已发布' }).waitFor();
    await officer.locator('#sc-onair', { hasText: '每周' }).waitFor();
    expect(approver.errors).toEqual([]);
    await approver.page.context().close();
  });

  it('shows the week grid: on air, a new draft over /live, and a conflict', async () => {
    await officer.click('.subtabs a[data-tab=week]');
    const published = officer.locator(`#rl-grid .slot.published[data-schedule="${scheduleId}"]`);
    await published.nth(6).waitFor();
    await expect(published.count()).resolves.toBe(7);
    const r = (await t.http.get(`/api/relay/schedules/${scheduleId}`).set(t.auth(tokens.officer1))).body.recurrence;
    await t.http
      .patch(`/api/relay/schedules/${scheduleId}`)
      .set(t.auth(tokens.officer1))
      .send({ recurrence: { kind: 'weekly', weekdays: r.weekdays, from: monday, start: '18:40', end: '19:00' } })
      .expect(200);
    await officer.locator(`#rl-grid .slot.draft[data-schedule="${scheduleId}"]`).nth(6).waitFor();
    await expect(published.count()).resolves.toBe(7);
    // a town's programme at the same time yields to the county's
    const town = await t.http
      .post('/api/relay/programmes')
      .set(t.auth(tokens.officer2))
      .send({
        name: '城关镇广播',
        source: { kind: 'line-in', channel: 2 },
        priorityClass: 'town',
        targets: { areaCodes: [TOWN_A] },
      })
      .expect(201);
    const ts = await t.http
      .post('/api/relay/schedules')
      .set(t.auth(tokens.officer2))
      .send({ programmeId: town.body.id, recurrence: { kind: 'daily', from: monday, start: r.start, end: r.end } })
      .expect(201);
    await t.http.post(`/api/relay/schedules/${ts.body.id}/submit`).set(t.auth(tokens.officer2)).expect(200);
    await t.http.post(`/api/relay/schedules/${ts.body.id}/approve`).set(t.auth(tokens.approver1)).expect(200);
    await officer.goto(`${t.baseUrl}/#/relay/${TOWN_A}`);
    const conflict = officer.locator(`#rl-grid .slot.conflict[data-schedule="${ts.body.id}"]`);
    await conflict.nth(6).waitFor();
    await expect(conflict.first().getAttribute('title')).resolves.toContain(`让位于 #${scheduleId}`);
    await shot(officer, 'week');
  });

  it('shows today: playing, cut by an alert, not started — pushed over /live', async () => {
    await officer.goto(`${t.baseUrl}/#/relay-today/${COUNTY}`);
    await officer.locator('#rt-planned').waitFor();
    const day = (await t.http.get('/api/relay/day').query({ date: today }).set(t.auth(tokens.officer1))).body as {
      terminals: {
        terminalId: number;
        areaCode: string;
        slots: { scheduleId: number; start: string; end: string }[];
      }[];
    };
    const county = day.terminals
      .filter((x) => x.areaCode.startsWith(VILLAGES[2].slice(0, 9)))
      .map((x) => ({ id: x.terminalId, slot: x.slots.find((s) => s.scheduleId === scheduleId)! }));
    expect(county.length).toBe(4);
    const asRun = t.app.get(AsRunService);
    const slot = (i: number) => ({
      terminalId: county[i].id,
      scheduleId,
      plannedStart: new Date(county[i].slot.start),
      plannedEnd: new Date(county[i].slot.end),
    });
    const started = new Date(Date.parse(county[0].slot.start) + 200);
    for (const i of [0, 1, 2]) await asRun.recordStart(slot(i), started, 'fm');
    const cut = new Date(Date.now() - 60_000);
    await asRun.recordInterruption(slot(1), 'preempted by alert 5 (broadcast 1)', cut, null);
    await asRun.recordInterruption(slot(3), 'not started: unreachable', new Date(county[3].slot.start), null);
    await officer.locator('#rt-playing', { hasText: '2' }).waitFor();
    await officer.locator('#rt-alert', { hasText: '1' }).waitFor();
    await officer.locator(`#rt-problems tr[data-terminal="${county[3].id}"]`, { hasText: '未开播' }).waitFor();
    await officer
      .locator(`#rt-problems tr[data-terminal="${county[1].id}"]`, { hasText: '应急插播（预警 5）' })
      .waitFor();
    await officer.locator('.tl-cut.alert').first().waitFor();
    // the two hours around now, where a minute's cut is wide enough to see
    await officer.click('#rt-zoom');
    await officer.locator('#rt-zoom.active').waitFor();
    await officer.locator('.tl-cut.alert').first().waitFor();
    await shot(officer, 'today');
    // the alert ends: the relay resumes there, the report shows the cut closed
    await asRun.recordInterruption(slot(1), 'preempted by alert 5 (broadcast 1)', cut, new Date());
    await officer.locator('#rt-playing', { hasText: '3' }).waitFor();
  });

  it('shows the as-run report with causes, on-time rate and the CSV export', async () => {
    await officer.click('.subtabs a[data-tab=asrun]');
    const rows = officer.locator('#ar-table tr[data-row]');
    await rows.nth(3).waitFor();
    await expect(officer.locator('#ar-rate').textContent()).resolves.toBe('75.0%');
    await expect(officer.locator('#ar-table').textContent()).resolves.toContain('应急插播（预警 5）');
    await expect(officer.locator('#ar-missed').textContent()).resolves.toBe('1');
    const [download] = await Promise.all([officer.waitForEvent('download'), officer.click('#ar-csv')]);
    expect(download.suggestedFilename()).toMatch(/\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8');
    expect(csv).toContain('plannedStart');
    expect(csv).toContain('preempted by alert 5');
    await shot(officer, 'asrun');
    expect(errors).toEqual([]);
  });

  it('lets a second approver reject with a reason, which the officer sees at once', async () => {
    await t.http.post(`/api/relay/schedules/${scheduleId}/submit`).set(t.auth(tokens.officer1)).expect(200);
    await officer.goto(`${t.baseUrl}/#/schedule/${scheduleId}`);
    await officer.locator('#sc-state', { hasText: '待审核' }).waitFor();
    const approver = await signedInPage(browser, t.baseUrl, 'approver1');
    await approver.page.goto(`${t.baseUrl}/#/schedule/${scheduleId}`);
    await approver.page.click('#sc-reject button');
    await approver.page.locator('#sc-msg', { hasText: '驳回须写明原因' }).waitFor();
    await approver.page.fill('#sc-reject input[name=reason]', '与镇广播时间重叠，请改到 18:30');
    await approver.page.click('#sc-reject button');
    await approver.page.locator('#sc-state', { hasText: '草稿' }).waitFor();
    await officer.locator('#sc-rejection', { hasText: '请改到 18:30' }).waitFor();
    // the revision on air plays on
    await expect(officer.locator('#sc-onair').textContent()).resolves.toContain('第 1 版');
    expect(approver.errors).toEqual([]);
    await approver.page.context().close();
  });

  it("shows a town's officer only the town's programmes", async () => {
    const { page, errors: townErrors } = await signedInPage(browser, t.baseUrl, 'officer2');
    await page.goto(`${t.baseUrl}/#/programmes`);
    const names = page.locator('#rl-programmes tr[data-programme]');
    await names.first().waitFor();
    await expect(names.allTextContents()).resolves.toEqual([expect.stringContaining('城关镇广播')]);
    expect(townErrors).toEqual([]);
    await page.context().close();
  });

  it("updates a town officer's open 节目 page live as another user creates, edits and moves a programme", async () => {
    const { page, errors: townErrors } = await signedInPage(browser, t.baseUrl, 'officer2');
    await page.goto(`${t.baseUrl}/#/programmes`);
    const rows = page.locator('#rl-programmes tr[data-programme]');
    await rows.first().waitFor();
    // a mark a reload would wipe
    await page.evaluate('window.sameDocument = true');
    const create = (name: string, areaCode: string) =>
      t.http
        .post('/api/relay/programmes')
        .set(t.auth(tokens.officer1))
        .send({
          name,
          source: { kind: 'fm', frequency: 9800 },
          priorityClass: 'county',
          targets: { areaCodes: [areaCode] },
        })
        .expect(201);
    await create('干汊河镇农技讲座', TOWN_B);
    const created = await create('县台农技讲座', TOWN_A);
    const row = page.locator(`#rl-programmes tr[data-programme="${created.body.id}"]`);
    await row.filter({ hasText: '县台农技讲座' }).waitFor();
    await t.http
      .patch(`/api/relay/programmes/${created.body.id}`)
      .set(t.auth(tokens.officer1))
      .send({ name: '县台农技讲座（重播）', volume: 5 })
      .expect(200);
    await row.filter({ hasText: '县台农技讲座（重播）' }).waitFor();
    await expect(page.locator('#rl-count').textContent()).resolves.toBe('共 2 个');
    await expect(page.locator('#rl-programmes').textContent()).resolves.not.toContain('干汊河镇');
    // moved to the other town: it goes from the page
    await t.http
      .patch(`/api/relay/programmes/${created.body.id}`)
      .set(t.auth(tokens.officer1))
      .send({ targets: { areaCodes: [TOWN_B] } })
      .expect(200);
    await row.waitFor({ state: 'detached' });
    await expect(page.evaluate('window.sameDocument')).resolves.toBe(true);
    expect(townErrors).toEqual([]);
    await page.context().close();
  });
});
