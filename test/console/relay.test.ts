/**
 * 节目与排期 in Chromium: an officer sees the county's programmes with their sources and classes and this week's grid of
 * schedules; an edit of a published schedule arrives over /live (kind `relay`) and the grid shows the new revision
 * under review beside the one that plays on; a town's officer sees only the town's programmes. Every wait is on the
 * page's DOM.
 *
 * With DALABA_CONSOLE_SHOTS=<folder> the page is kept there as console-relay-1366.png.
 */
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { shanghaiDay } from '../../src/relay/recurrence';
import { type TestApp, createTestApp } from '../support/app';
import { CHROMIUM_PATH, describeWith } from '../support/capabilities';
import { COUNTY, TOWN_A, buildCounty } from '../registry/fixture';
import { signedInPage } from './console-env';

const SHOTS = process.env.DALABA_CONSOLE_SHOTS;

jest.setTimeout(180_000);

describeWith(['chromium'], '节目与排期 in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  const tokens: Record<string, string> = {};
  let scheduleId = 0;

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    const admin = await t.adminToken();
    await buildCounty(t, admin, 1);
    for (const [name, roles, scopes] of [
      ['officer1', ['officer'], [COUNTY]],
      ['officer2', ['officer'], [TOWN_A]],
      ['approver1', ['approver'], [COUNTY]],
    ] as const)
      tokens[name] = (await t.createUser({ username: name, roles: [...roles], scopes: [...scopes] })).token;
    const as = (who: string) => t.auth(tokens[who]);
    const p = await t.http
      .post('/api/relay/programmes')
      .set(as('officer1'))
      .send({
        name: '县台午间新闻',
        source: { kind: 'fm', frequencyMHz: 95.3 },
        fallback: { kind: 'line-in', channel: 1 },
        priorityClass: 'county',
        targets: { areaCodes: [COUNTY] },
      })
      .expect(201);
    const s = await t.http
      .post('/api/relay/schedules')
      .set(as('officer1'))
      .send({
        programmeId: p.body.id,
        recurrence: { kind: 'weekdays', from: shanghaiDay(new Date()), start: '12:00', end: '12:30' },
      })
      .expect(201);
    scheduleId = s.body.id;
    await t.http.post(`/api/relay/schedules/${scheduleId}/submit`).set(as('officer1')).expect(200);
    await t.http.post(`/api/relay/schedules/${scheduleId}/approve`).set(as('approver1')).expect(200);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('lists programmes and the week grid, and follows an edit over /live', async () => {
    const { page, errors } = await signedInPage(browser, t.baseUrl, 'officer1');
    await page.click('#nav a[data-nav=relay]');
    const row = page.locator('#rl-programmes tr[data-programme]');
    await row.first().waitFor();
    await expect(row.first().textContent()).resolves.toMatch(/县台午间新闻.*调频 95\.3 MHz.*线路输入 1.*县级（6）/s);
    const grid = page.locator(`#rl-grid tr[data-schedule="${scheduleId}"]`);
    await grid.waitFor();
    const text = (await grid.textContent()) ?? '';
    expect(text).toContain('已发布');
    expect((text.match(/12:00–12:30/g) ?? []).length).toBeLessThanOrEqual(5);
    await t.http
      .patch(`/api/relay/schedules/${scheduleId}`)
      .set(t.auth(tokens.officer1))
      .send({ recurrence: { kind: 'daily', from: shanghaiDay(new Date()), start: '18:40', end: '19:00' } })
      .expect(200);
    await page.locator(`#rl-grid tr[data-schedule="${scheduleId}"]`, { hasText: '旧版播出中' }).waitFor();
    await expect(grid.textContent()).resolves.toContain('18:40–19:00（草稿）');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'console-relay-1366.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it("shows a town's officer only the town's programmes", async () => {
    const { page, errors } = await signedInPage(browser, t.baseUrl, 'officer2');
    await page.goto(`${t.baseUrl}/#/relay`);
    await page.locator('#rl-programmes tbody td.muted', { hasText: '暂无节目' }).waitFor();
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
