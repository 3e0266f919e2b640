/**
 * 日常广播 end to end in Chromium over a simulated county (two villages, four terminals each, line timing): an officer
 * schedules an FM relay for the county on the schedule page and submits it, an approver publishes it on the same page,
 * the planner starts it on the simulated terminals on the planned second; today's time line shows them playing, an
 * alert cuts in on two of them and the line shows the cut, the relay resumes there; a terminal switched to another
 * source is named with the watch's alarm; the as-run report shows every start on time and the cut closed with its
 * cause; withdrawing on the schedule page stops it. Every wait is on the page's DOM (fed by /live) or on the server's
 * events.
 */
import { Transactions } from '../../src/database/transactions';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { FieldBuses } from '../../src/field/field-buses';
import { isoWeekday, shanghaiDay } from '../../src/relay/recurrence';
import { type TestApp, createTestApp } from '../support/app';
import { CHROMIUM_PATH, describeWith } from '../support/capabilities';
import { COUNTY, UNITS, order, registerCounty, type County } from '../dispatch/county';
import { type Browser, chromium } from 'playwright-core';
import { CONSOLE_SERVER_ENV, signedInPage } from './console-env';

jest.setTimeout(240_000);

/** Asia/Shanghai wall time HH:MM:SS of an instant. */
const wall = (ms: number): string => new Date(ms + 8 * 3600_000).toISOString().slice(11, 19);

describeWith(['chromium'], '日常广播 on the simulated county in Chromium', () => {
  let t: TestApp;
  let county: County;
  let browser: Browser;
  let programmeId = 0;

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite', env: CONSOLE_SERVER_ENV });
    const admin = await t.adminToken();
    county = await registerCounty(t, admin);
    await t.app.get(FieldBuses).settled();
    const { token: officer } = await t.createUser({ username: 'officer1', roles: ['officer'], scopes: [COUNTY] });
    await t.createUser({ username: 'approver1', roles: ['approver'], scopes: [COUNTY] });
    const p = await t.http
      .post('/api/relay/programmes')
      .set(t.auth(officer))
      .send({
        name: '县台新闻联播',
        source: { kind: 'fm', frequencyMHz: 95.3 },
        priorityClass: 'county',
        targets: { areaCodes: [COUNTY] },
      })
      .expect(201);
    programmeId = p.body.id;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await county?.network.stop();
  });

  it('schedules, reviews, plays on the second, gives way to an alert and resumes, and logs it', async () => {
    const { page: officer, errors } = await signedInPage(browser, t.baseUrl, 'officer1');
    await officer.goto(`${t.baseUrl}/#/schedule/new?programme=${programmeId}`);
    const form = officer.locator('#sc-form');
    await form.waitFor();
    // weekdays when today is one (the demo's case), else today's weekday: the slot plays today either way
    const today = shanghaiDay(new Date());
    const weekday = isoWeekday(today);
    if (weekday <= 5) await form.locator('input[name=kind][value=weekdays]').check();
    else {
      await form.locator('input[name=kind][value=weekly]').check();
      await form.locator(`input[name=weekday][value="${weekday}"]`).check();
    }
    await form.locator('input[name=from]').fill(today);
    const start = Math.ceil((Date.now() + 45_000) / 1000) * 1000;
    await form.locator('input[name=start]').fill(wall(start));
    await form.locator('input[name=end]').fill(wall(start + 150_000));
    await officer.click('#sc-save-submit');
    await officer.locator('#sc-state', { hasText: '待审核' }).waitFor();
    const scheduleId = Number(/schedule\/(\d+)/.exec(officer.url())![1]);

    const approver = await signedInPage(browser, t.baseUrl, 'approver1');
    await approver.page.goto(`${t.baseUrl}/#/schedule/${scheduleId}`);
    await approver.page.click('#sc-approve');
    await approver.page.locator('#sc-state', { hasText: '已发布' }).waitFor();
    expect(Date.now()).toBeLessThan(start); // published before its second: the start below is the planner's
    await approver.page.context().close();

    await officer.goto(`${t.baseUrl}/#/relay-today/${COUNTY}`);
    const terminals = UNITS.length * 2;
    await officer.locator('#rt-playing', { hasText: String(terminals) }).waitFor({ timeout: 90_000 });

    // an alert (priority 2) on two terminals of the first village
    const cut = [county.terminalIds[0][1], county.terminalIds[0][2]];
    const dispatch = t.app.get(DispatchService);
    const o = order(cut, { priority: 2, severity: 2 });
    await t.app.get(Transactions).run((tx) => dispatch.plan(o, tx));
    dispatch.launch(o.broadcastId);
    await officer.locator('#rt-alert', { hasText: '2' }).waitFor({ timeout: 60_000 });
    await officer.locator(`#rt-problems tr[data-terminal="${cut[0]}"]`, { hasText: '应急插播' }).waitFor();
    await dispatch.settled(o.broadcastId);
    await officer.locator('#rt-alert', { hasText: '0' }).waitFor({ timeout: 60_000 });
    await officer.locator('#rt-playing', { hasText: String(terminals) }).waitFor({ timeout: 60_000 });
    await officer.locator('.tl-cut.alert').first().waitFor();

    // a terminal of the other village switched to its IP stream: the watch's alarm names it on the page
    const wrong = county.terminalIds[1][3];
    county.network.switchSource(1, 3, 'ip');
    await officer
      .locator(`#rt-problems tr[data-terminal="${wrong}"][data-state="relay-source"]`, { hasText: '音源不符' })
      .waitFor({ timeout: 60_000 });

    await officer.click('.subtabs a[data-tab=asrun]');
    await officer
      .locator('#ar-table tr[data-row]')
      .nth(terminals - 1)
      .waitFor();
    await expect(officer.locator('#ar-rate').textContent()).resolves.toBe('100.0%');
    const closed = officer.locator(`#ar-table tr[data-terminal="${cut[0]}"] .causes .alert-cut`);
    await officer
      .locator(`#ar-table tr[data-terminal="${wrong}"] .causes`, { hasText: '信源不符（播 ip，应为 fm）' })
      .waitFor();
    await expect(closed.textContent()).resolves.toMatch(/应急插播（预警 \d+）\s*\d{2}:\d{2}:\d{2}–\d{2}:\d{2}:\d{2}/);

    // 停播 on the schedule page: the relay stops everywhere and every row gets its end
    await officer.goto(`${t.baseUrl}/#/schedule/${scheduleId}`);
    officer.once('dialog', (d) => void d.accept());
    await officer.click('#sc-withdraw');
    await officer.locator('#sc-state', { hasText: '已停播' }).waitFor();
    await officer.goto(`${t.baseUrl}/#/asrun/${COUNTY}`);
    await officer
      .locator('#ar-table tr[data-row]')
      .nth(terminals - 1)
      .waitFor();
    await officer
      .locator('#ar-table tr[data-row]', { hasText: '播出中' })
      .first()
      .waitFor({ state: 'detached', timeout: 60_000 });
    expect(errors).toEqual([]);
    await officer.context().close();
  });
});
