/**
 * The duty officer's console in a real Chromium against a real server over a small simulated county (two towns, one
 * village each, four Modbus terminals per village, placed by their coordinates): an officer composes a county alert
 * with text-to-speech and previews it, an approver (another browser) approves it, and both watch it complete on the
 * broadcast page and on the map without a reload; the one-key emergency behind its typed confirmation, confirmed
 * afterwards by the approver; a rejection with its reason and a cancel; an import with bad rows shown beside them; a
 * town-scoped officer sees only its town; and no page refreshes data with setInterval. Every wait is on the page's
 * DOM (playwright's waiting), never on the clock.
 *
 * Set DALABA_CONSOLE_SHOTS=<folder> to keep screenshots of every main page at 1366×768 and 390×844 there, and the
 * timings measured (first paint, approve → first terminal shown playing) in console-timings.json.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { AudioService } from '../../src/audio/audio.service';
import { CommandSigning } from '../../src/field/command-signing';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { TEST_USER_PASSWORD, type TestApp, createTestApp } from '../support/app';
import { CONSOLE_SERVER_ENV } from './console-env';
import { CHROMIUM_PATH, describeWith } from '../support/capabilities';
import { filter, firstValueFrom } from 'rxjs';

const COUNTY = '341523000000';
const UNITS = [1, 2, 3, 4];
const SHOTS = process.env.DALABA_CONSOLE_SHOTS;
const WEB_JS = join(__dirname, '..', '..', 'web', 'js');

jest.setTimeout(240_000);

describe('the console refreshes nothing by polling', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.js') ? [join(dir, e.name)] : [],
    );

  it('has setInterval only in the clock that redraws ages from data already held, and no timer that fetches', () => {
    const withInterval = files(WEB_JS).filter((f) => /\bsetInterval\s*\(/.test(readFileSync(f, 'utf8')));
    expect(withInterval.map((f) => f.slice(WEB_JS.length + 1))).toEqual(['clock.js']);
    expect(readFileSync(join(WEB_JS, 'clock.js'), 'utf8')).not.toMatch(/\bget\(|fetch\(|request\(/);
    // a setTimeout whose callback reads the API is a poll, unless it reads again after a live change (event-driven);
    // an audio job's progress comes over /live (kind audioJob)
    for (const f of files(WEB_JS)) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/setTimeout\(\s*\(\)\s*=>\s*([^\n]*)/g)) {
        if (/get\(|load|fetch/.test(m[1]))
          expect(`${f.slice(WEB_JS.length + 1)}: ${m[0]}`).toMatch(/terminal\.js: .*loadHistory/);
      }
    }
  });

  it("writes no inline script, inline handler or javascript: URL (the console runs under script-src 'self')", () => {
    const html = readFileSync(join(WEB_JS, '..', 'index.html'), 'utf8');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    for (const f of [join(WEB_JS, '..', 'index.html'), ...files(WEB_JS)]) {
      const text = readFileSync(f, 'utf8');
      expect(`${f}: ${/\son[a-z]+="|javascript:|\beval\(|new Function\(/.exec(text)?.[0] ?? ''}`).toBe(`${f}: `);
    }
  });
});

describeWith(['chromium'], 'the duty officer’s console in Chromium over a simulated county', () => {
  let t: TestApp;
  let network: SimulatedNetwork;
  let monitoring: MonitoringService;
  let browser: Browser;
  const towns: string[] = [];
  const villages: string[] = [];
  const terminalIds: number[] = [];
  const timings: Record<string, number> = {};
  const contexts: BrowserContext[] = [];

  const post = async (path: string, token: string, body: object): Promise<{ id: number }> => {
    const res = await t.http.post(path).set(t.auth(token)).send(body);
    if (res.status !== 201) throw new Error(`${path} ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: number };
  };
  /** Screenshots at 1366×768 and 390×844, with `focus` (a selector) scrolled into view in each. */
  const shot = async (page: Page, name: string, focus?: string): Promise<void> => {
    if (!SHOTS) return;
    if (focus) await page.locator(focus).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `console-${name}-1366.png`) });
    const size = page.viewportSize();
    await page.setViewportSize({ width: 390, height: 844 });
    if (focus) await page.locator(focus).scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, `console-${name}-390.png`) });
    if (size) await page.setViewportSize(size);
  };

  /**
   * A fresh browser (its own storage) logged in through the login page, with window.setInterval recorded: every call's
   * stack, so a test can tell which module asked for a timer.
   */
  const signIn = async (username: string): Promise<Page> => {
    const context = await browser.newContext({
      viewport: { width: 1366, height: 768 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    contexts.push(context);
    await context.addInitScript({
      content: `window.__intervals = [];
        const original = window.setInterval.bind(window);
        window.setInterval = (fn, ms, ...args) => { window.__intervals.push(new Error().stack || ''); return original(fn, ms, ...args); };`,
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('dialog', (d) => void d.accept());
    const started = Date.now();
    await page.goto(`${t.baseUrl}/`);
    await page.locator('input[name=username]').waitFor();
    timings.firstPaintMs ??= await page.evaluate(
      () => performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? -1,
    );
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', TEST_USER_PASSWORD);
    const clicked = Date.now();
    await page.click('form#login button[type=submit]');
    await page.locator('#ov-rate').filter({ hasText: '%' }).waitFor();
    timings.loginToOverviewMs ??= Date.now() - clicked;
    timings.pageLoadToLoginFormMs ??= clicked - started;
    expect(errors).toEqual([]);
    return page;
  };
  const intervalsOf = (page: Page): Promise<string[]> => page.evaluate('window.__intervals');
  /** 试听 pressed in the composer, and the clip in the page's player. */
  const previewed = async (page: Page): Promise<void> => {
    await page.click('#cp-preview');
    await page
      .locator('#cp-preview-msg')
      .filter({ hasText: /^试听$/ })
      .waitFor({ timeout: 60_000 });
    await expect(page.locator('#cp-audio').getAttribute('src')).resolves.toMatch(/^blob:/);
  };

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite', env: CONSOLE_SERVER_ENV });
    const admin = await t.adminToken();
    monitoring = t.app.get(MonitoringService);
    const county = referenceCounty();
    // one village of the first town and one of the second
    const shape = { ...county, gateways: [county.gateways[0], county.gateways[12]] };
    ({ network } = await startCountyNetwork({
      shape,
      clock: systemClock,
      seed: 7,
      deadFraction: 0,
      noise: 0,
      certificates: [t.app.get(CommandSigning).certificate],
    }));
    await post('/api/regions', admin, { code: COUNTY, name: '舒城县' });
    for (const [i, g] of shape.gateways.entries()) {
      const town = `${g.areaCode.slice(0, 9)}000`;
      towns.push(town);
      villages.push(g.areaCode);
      await post('/api/regions', admin, { code: town, name: ['城关镇', '干汊河镇'][i] });
      await post('/api/regions', admin, { code: g.areaCode, name: ['东村', '西村'][i] });
      const { id } = await post('/api/gateways', admin, {
        name: `${['东', '西'][i]}村网关`,
        areaCode: g.areaCode,
        kind: 'modbus-tcp',
        host: '127.0.0.1',
        port: network.gateways[i].port,
        baudRate: 9600,
        parity: 'even',
        dataBits: 8,
        stopBits: 1,
        requestTimeoutMs: 1000,
        turnaroundMs: 10,
        broadcastDelayMs: 50,
      });
      for (const u of UNITS) {
        const st = g.terminals[u - 1];
        terminalIds.push(
          (
            await post('/api/terminals', admin, {
              name: `${['东', '西'][i]}村${u}号喇叭`,
              areaCode: g.areaCode,
              gatewayId: id,
              unitId: u,
              latitude: st.latitude,
              longitude: st.longitude,
            })
          ).id,
        );
      }
    }
    await t.createUser({ username: 'officer1', roles: ['officer'], scopes: [COUNTY] });
    await t.createUser({ username: 'approver1', roles: ['approver'], scopes: [COUNTY] });
    await t.createUser({ username: 'tech1', roles: ['technician'], scopes: [COUNTY] });
    await t.createUser({ username: 'officer-east', roles: ['officer'], scopes: [towns[0]] });
    await t.createUser({ username: 'admin2', roles: ['admin'] });
    const online = (id: number): boolean => monitoring.terminal(id)?.online === true;
    if (!terminalIds.every(online))
      await firstValueFrom(monitoring.changes.pipe(filter(() => terminalIds.every(online))));
    await t.app.get(AudioService).settled('tone-chime');
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  });

  afterAll(async () => {
    if (SHOTS) writeFileSync(join(SHOTS, 'console-timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
    await network?.stop();
  });

  it('an officer composes a county alert with speech, an approver approves it, and both watch it complete on the broadcast page and the map', async () => {
    const officer = await signIn('officer1');
    const approver = await signIn('approver1');
    // the approver watches the list: the submitted alert arrives there over /live
    await approver.click('a[data-nav="broadcasts"]');
    await approver.locator('#bc-count').filter({ hasText: '共' }).waitFor();

    await officer.click('a[data-nav="broadcasts"]');
    await officer.click('#bc-new');
    const form = officer.locator('#cp-form');
    await form.waitFor();
    await shot(officer, 'compose');
    await officer.check('#cp-form input[name=messageClass][value=real]');
    await officer.locator('#cp-classbar[data-class="real"]').waitFor();
    await officer.selectOption('#cp-event', '11B03');
    await officer.check('#cp-form input[name=severity][value="2"]');
    await expect(officer.locator('#cp-classnow').textContent()).resolves.toContain('实际播发');
    await officer.fill('#cp-form input[name=title]', '全县暴雨橙色预警');
    await officer.fill('#cp-form textarea[name=text]', '暴雨预警。');
    await officer.check('#cp-form input[name=audioKind][value=tts]');
    await officer.selectOption('#cp-form select[name=toneBefore]', '');
    // a bad submission first: the missing target is said in words beside the tree, nothing is sent
    await officer.click('#cp-submit');
    await officer.locator('.field-error[data-for="targets"]').filter({ hasText: '请至少选择一个区域' }).waitFor();
    await officer.check(`#cp-tree input[value="${COUNTY}"]`);
    await officer.locator('#cp-count-total').filter({ hasText: /^8$/ }).waitFor();
    await expect(officer.locator('#cp-count-offline').textContent()).resolves.toBe('0');
    // one terminal dies: the count of those offline now follows without a reload
    network.setFault(1, 4, 'dead');
    await officer.locator('#cp-count-offline').filter({ hasText: /^1$/ }).waitFor({ timeout: 30_000 });
    network.setFault(1, 4, 'none');
    await previewed(officer);
    await officer
      .locator('#cp-audio')
      .evaluate(
        (el) =>
          new Promise((resolve) =>
            (el as unknown as { readyState: number }).readyState > 0
              ? resolve(true)
              : el.addEventListener('loadedmetadata', resolve),
          ),
      );
    await expect(
      officer.locator('#cp-audio').evaluate((el) => (el as unknown as { duration: number }).duration),
    ).resolves.toBeGreaterThan(0);
    await shot(officer, 'compose-filled');
    await officer.click('#cp-submit');
    await officer.waitForURL(/#\/alert\/\d+$/);
    const alertId = Number(officer.url().split('/').pop());
    await officer.locator('#al-state').filter({ hasText: '待审核' }).waitFor();

    const row = approver.locator(`#bc-table tr[data-alert="${alertId}"]`);
    await row.filter({ hasText: '待审核' }).waitFor();
    await shot(approver, 'broadcasts');
    await row.locator(`a[href="#/alert/${alertId}"]`).click();
    await approver.locator('#al-norevs').waitFor();
    await approver.locator('#al-revisions tbody tr').filter({ hasText: '提交审核' }).waitFor();
    await approver.locator('#al-approve:not([disabled])').waitFor({ timeout: 60_000 });
    await approver.locator('#al-audio-note').filter({ hasText: '播发音频' }).waitFor();
    await shot(approver, 'alert-review');
    // the terminal back online before it goes on air (the fault above was cleared)
    const online = (): boolean => terminalIds.every((id) => monitoring.terminal(id)?.online === true);
    if (!online()) await firstValueFrom(monitoring.changes.pipe(filter(online)));

    const approvedAt = Date.now();
    await approver.click('#al-approve');
    await approver.waitForURL(/#\/broadcast\/\d{35}$/);
    await officer.goto(`${t.baseUrl}/#/map?alert=${alertId}`);
    await approver
      .locator('#bd-n-playing, #bd-counts [data-count="played"] b')
      .filter({ hasText: /^[1-9]/ })
      .first()
      .waitFor({ timeout: 120_000 });
    timings.approveToFirstPlayingMs = Date.now() - approvedAt;
    await approver.locator('#bd-state').filter({ hasText: '已完成' }).waitFor({ timeout: 120_000 });
    await expect(approver.locator('#bd-coverage').textContent()).resolves.toBe('100.00%');
    await expect(approver.locator('#bd-towns tbody').textContent()).resolves.toContain('城关镇');
    await expect(approver.locator('#bd-towns tbody tr').count()).resolves.toBe(2);
    await expect(approver.locator('#bd-villages tbody').textContent()).resolves.toContain('西村');
    await approver.locator('#bd-lost tbody').filter({ hasText: '全部送达' }).waitFor();
    await officer.locator('#mp-map [data-legend="played"]').filter({ hasText: /^8$/ }).waitFor();
    await officer.locator('#mp-state').filter({ hasText: '已完成' }).waitFor();
    await shot(approver, 'broadcast');
    await shot(officer, 'map-alert');
    // the report prints on A4: the print stylesheet hides the console around it
    await approver.emulateMedia({ media: 'print' });
    await expect(approver.locator('header#top').isVisible()).resolves.toBe(false);
    await expect(approver.locator('.print-only').first().isVisible()).resolves.toBe(true);
    if (SHOTS) await approver.pdf({ path: join(SHOTS, 'console-report.pdf'), format: 'A4' });
    await approver.emulateMedia({ media: 'screen' });
    const [report] = await Promise.all([
      approver.waitForEvent('download'),
      approver.click('button[data-report="xlsx"]'),
    ]);
    expect(report.suggestedFilename()).toMatch(/\.xlsx$/);

    // neither page ever asked for a timer except the console's clock
    for (const p of [officer, approver])
      for (const stack of await intervalsOf(p)) expect(stack).toContain('/js/clock.js');
  });

  it('the one-key emergency goes on air only after the typed confirmation, with its reason; another approver confirms it afterwards', async () => {
    const officer = await signIn('officer1');
    await officer.click('a[data-nav="broadcasts"]');
    await officer.click('#bc-emergency');
    await officer.locator('#cp-form.emergency').waitFor();
    await expect(officer.locator('#cp-form input[name=messageClass][value=terminalDrill]').isDisabled()).resolves.toBe(
      true,
    );
    await officer.fill('#cp-form input[name=title]', '山洪紧急撤离');
    await officer.check('#cp-form input[name=audioKind][value=tone]');
    await officer.selectOption('#cp-form select[name=toneId]', 'tone-chime');
    await officer.check(`#cp-tree input[value="${towns[0]}"]`);
    await officer.locator('#cp-count-total').filter({ hasText: /^4$/ }).waitFor();
    await officer.click('#cp-emergency');
    await officer.locator('.field-error[data-for="reason"]').filter({ hasText: '原因' }).waitFor();
    await officer.fill('#cp-form textarea[name=reason]', '山洪突发，来不及审核');
    await officer.click('#cp-emergency');
    await officer.locator('#cp-confirm[open]').waitFor();
    await expect(officer.locator('#cp-confirm-go').isDisabled()).resolves.toBe(true);
    await officer.fill('#cp-confirm-word', '确认');
    await expect(officer.locator('#cp-confirm-go').isDisabled()).resolves.toBe(true);
    await officer.fill('#cp-confirm-word', '确认播发');
    await shot(officer, 'emergency-confirm');
    const sentAt = Date.now();
    await officer.click('#cp-confirm-go');
    await officer.waitForURL(/#\/broadcast\/\d{35}$/);
    await officer
      .locator('#bd-n-playing, #bd-counts [data-count="played"] b')
      .filter({ hasText: /^[1-9]/ })
      .first()
      .waitFor({ timeout: 60_000 });
    timings.emergencyToneToFirstPlayingMs = Date.now() - sentAt;
    await officer
      .locator('#bd-state')
      .filter({ hasText: /已完成|播发中/ })
      .waitFor({ timeout: 60_000 });
    await officer.locator('h1 .kind.bus-down').filter({ hasText: '一键应急' }).waitFor();
    await officer.click('a:has-text("预警详情")');
    await expect(officer.locator('#al-reason').textContent()).resolves.toBe('山洪突发，来不及审核');
    await officer.locator('#al-confirmed').filter({ hasText: '待另一位审核员确认' }).waitFor();
    await expect(officer.locator('#al-confirm').count()).resolves.toBe(0);
    const alertPath = new URL(officer.url()).hash;

    const approver = await signIn('approver1');
    await approver.goto(`${t.baseUrl}/${alertPath}`);
    await approver.click('#al-confirm');
    await approver.locator('#al-confirmed').filter({ hasText: '已确认' }).waitFor();
    // the officer's page follows without a reload
    await officer.locator('#al-confirmed').filter({ hasText: '已确认' }).waitFor();
  });

  it('an approver rejects with a reason the officer sees at once; the officer cancels the draft', async () => {
    const officer = await signIn('officer1');
    await officer.goto(`${t.baseUrl}/#/compose`);
    await officer.fill('#cp-form input[name=title]', '大风蓝色预警演练');
    await officer.check('#cp-form input[name=audioKind][value=tone]');
    await officer.check(`#cp-tree input[value="${towns[1]}"]`);
    await officer.click('#cp-submit');
    await officer.waitForURL(/#\/alert\/\d+$/);
    await officer.locator('#al-state').filter({ hasText: '待审核' }).waitFor();
    const path = new URL(officer.url()).hash;
    const approver = await signIn('approver1');
    await approver.goto(`${t.baseUrl}/${path}`);
    await approver.click('#al-reject button');
    await approver.locator('#al-msg.error').filter({ hasText: '驳回须写明原因' }).waitFor();
    await approver.fill('#al-reject input[name=reason]', '范围不对，应为全县');
    await approver.click('#al-reject button');
    await officer.locator('#al-rejection').filter({ hasText: '范围不对，应为全县' }).waitFor();
    await officer.locator('#al-state').filter({ hasText: '草稿' }).waitFor();
    await shot(officer, 'alert-rejected');
    // the officer corrects the draft: the composer opens with what was written, the change is saved
    await officer.click('#al-edit');
    await officer.locator('#cp-form input[name=title]').waitFor();
    await expect(officer.locator('#cp-form input[name=title]').inputValue()).resolves.toBe('大风蓝色预警演练');
    await expect(officer.locator(`#cp-tree input[value="${towns[1]}"]`).isChecked()).resolves.toBe(true);
    await officer.fill('#cp-form input[name=title]', '大风蓝色预警演练（西村）');
    await officer.uncheck(`#cp-tree input[value="${towns[1]}"]`);
    await officer.check(`#cp-tree input[value="${villages[1]}"]`);
    await officer.click('#cp-save');
    await officer.waitForURL(/#\/alert\/\d+$/);
    await officer.locator('#al-title').filter({ hasText: '大风蓝色预警演练（西村）' }).waitFor();
    await expect(officer.locator('#al-body').textContent()).resolves.toContain('西村');
    await approver.locator('#al-title').filter({ hasText: '（西村）' }).waitFor();
    // the approver sees what the edit changed, from → to
    const edit = approver.locator('#al-revisions tbody tr').filter({ hasText: '修改' });
    await edit.filter({ hasText: '大风蓝色预警演练（西村）' }).waitFor();
    await expect(edit.locator('del').first().textContent()).resolves.toBeTruthy();
    await officer.click('#al-cancel');
    await officer.locator('#al-state').filter({ hasText: '已取消' }).waitFor();
    await approver.locator('#al-state').filter({ hasText: '已取消' }).waitFor();
  });

  it('the officer picks targets on the map, in step with the region tree and the live count', async () => {
    const officer = await signIn('officer1');
    await officer.goto(`${t.baseUrl}/#/compose`);
    const town0 = officer.locator(`#cp-map .town[data-town="${towns[0]}"]`);
    await town0.waitFor();
    // a town outline ticks the town on the tree, and the count follows
    await town0.locator('polygon').dispatchEvent('click');
    await expect(officer.locator(`#cp-tree input[value="${towns[0]}"]`).isChecked()).resolves.toBe(true);
    await officer.locator('#cp-count-total').filter({ hasText: /^4$/ }).waitFor();
    await officer.locator(`#cp-map .town[data-town="${towns[0]}"][data-picked]`).waitFor();
    // a single terminal of the other town is added by its dot
    const lone = officer.locator(`#cp-map circle[data-terminal="${terminalIds[4]}"]`);
    await lone.click();
    await officer
      .locator(`#cp-singles li[data-single="${terminalIds[4]}"]`)
      .filter({ hasText: '西村1号喇叭' })
      .waitFor();
    await officer.locator('#cp-count-total').filter({ hasText: /^5$/ }).waitFor();
    await expect(lone.getAttribute('class')).resolves.toBe('st-target');
    await shot(officer, 'compose-map', '#cp-map');
    // unticking the tree clears the outline on the map
    await officer.uncheck(`#cp-tree input[value="${towns[0]}"]`);
    await officer.locator(`#cp-map .town[data-town="${towns[0]}"]:not([data-picked])`).waitFor();
    await officer.locator('#cp-count-total').filter({ hasText: /^1$/ }).waitFor();
    // a terminal inside a chosen town is not picked twice; the town's dot click says so
    await officer.locator(`#cp-map .town[data-town="${towns[1]}"] polygon`).dispatchEvent('click');
    await officer.locator('#cp-count-total').filter({ hasText: /^4$/ }).waitFor();
    await officer.locator(`#cp-map circle[data-terminal="${terminalIds[5]}"]`).click();
    await officer.locator('#cp-map-note').filter({ hasText: '已在' }).waitFor();
    await officer.locator(`#cp-map .town[data-town="${towns[1]}"] polygon`).dispatchEvent('click');
    await expect(officer.locator(`#cp-tree input[value="${towns[1]}"]`).isChecked()).resolves.toBe(false);
    await officer.locator('#cp-count-total').filter({ hasText: /^1$/ }).waitFor();
    // the speech preview follows its synthesis job over /live: the job is never read by polling
    const jobReads: string[] = [];
    officer.on('request', (r) => r.url().includes('/api/audio/jobs') && jobReads.push(r.url()));
    await officer.fill('#cp-form textarea[name=text]', '单台终端试听。');
    await officer.check('#cp-form input[name=audioKind][value=tts]');
    await officer.selectOption('#cp-form select[name=toneBefore]', '');
    await previewed(officer);
    expect(jobReads).toEqual([]);
    // the draft carries the terminal picked on its own
    await officer.fill('#cp-form input[name=title]', '单台终端测试');
    await officer.check('#cp-form input[name=audioKind][value=tone]');
    await officer.click('#cp-save');
    await officer.waitForURL(/#\/alert\/\d+$/);
    const token = await t.login('officer1', TEST_USER_PASSWORD);
    const saved = await t.http.get(`/api/alerts/${officer.url().split('/').pop()}`).set(t.auth(token));
    expect(saved.body.targets).toEqual({ areaCodes: [], terminalIds: [terminalIds[4]] });
  });

  it('a technician imports a spreadsheet with bad rows (nothing is written, each row’s errors beside it) and keeps the regions', async () => {
    const page = await signIn('tech1');
    await page.click('a[data-nav="import"]');
    await page.locator('#im-form').waitFor();
    const tech = await t.login('tech1', TEST_USER_PASSWORD);
    const gateway = (await t.http.get('/api/gateways').query({ areaCode: villages[0] }).set(t.auth(tech))).body.items[0]
      .resourceCode as string;
    const csv = [
      '名称,区域编码,网关资源编码,单元号,型号',
      `新1号喇叭,${villages[0]},${gateway},5,DLB-T200`,
      `新2号喇叭,${villages[0]},${gateway},300,DLB-T200`,
      `新3号喇叭,999999999999,${gateway},6,DLB-T200`,
    ].join('\n');
    await page.setInputFiles('#im-form input[name=file]', {
      name: 'terminals.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(csv),
    });
    await page.click('#im-go');
    await page.locator('#im-msg.error').filter({ hasText: '未导入任何数据' }).waitFor();
    const rows = page.locator('#im-errors tbody tr');
    await page.locator('#im-errors tr[data-row="3"]').waitFor();
    await expect(page.locator('#im-errors tr[data-row="3"]').textContent()).resolves.toContain('新2号喇叭');
    await expect(page.locator('#im-errors tr[data-row="4"]').textContent()).resolves.toContain('新3号喇叭');
    await expect(page.locator('#im-errors tr[data-row="3"]').textContent()).resolves.toContain('单元号');
    expect(await rows.count()).toBe(2);
    await shot(page, 'import-errors');
    const list = await t.http.get('/api/terminals').query({ q: '新' }).set(t.auth(tech));
    expect(list.body.total).toBe(0);

    // the registry page: a village added, renamed, refused deletion of one with terminals, and deleted when empty
    await page.click('a[data-nav="registry"]');
    await page.locator('#rg-gateways tr[data-gateway]').first().waitFor();
    const code = `${towns[1].slice(0, 9)}299`;
    await page.fill('#rg-new input[name=code]', code);
    await page.fill('#rg-new input[name=name]', '新村');
    await page.click('#rg-new button');
    const row = page.locator(`#rg-regions tr[data-code="${code}"]`);
    await row.waitFor();
    await row.locator('input.region-name').fill('新建村');
    await row.locator('button[data-rename]').click();
    await page.locator('#rg-msg.ok').filter({ hasText: '已改名' }).waitFor();
    await page.locator(`#rg-regions tr[data-code="${villages[0]}"] button[data-remove]`).click();
    await page.locator('#rg-msg.error').filter({ hasText: '区域下仍有网关或终端' }).waitFor();
    await shot(page, 'registry');
    await page.locator(`#rg-regions tr[data-code="${code}"] button[data-remove]`).click();
    await page.locator('#rg-msg.ok').filter({ hasText: '已删除' }).waitFor();
    await expect(page.locator(`#rg-regions tr[data-code="${code}"]`).count()).resolves.toBe(0);
  });

  it('a town-scoped officer sees only its town: the tree, the counts, the map and the alerts', async () => {
    const page = await signIn('officer-east');
    await page.goto(`${t.baseUrl}/#/compose`);
    await page.locator('#cp-tree').waitFor();
    await expect(
      page
        .locator('#cp-tree input[name=area]')
        .evaluateAll((els) => els.map((e) => (e as unknown as { value: string }).value)),
    ).resolves.toEqual([towns[0], villages[0]]);
    await page.goto(`${t.baseUrl}/#/map`);
    await page.locator('#mp-map [data-legend="online"]').filter({ hasText: /^4$/ }).waitFor();
    await expect(page.locator('#mp-map circle[data-terminal]').count()).resolves.toBe(4);
    await shot(page, 'map-town');
    await page.goto(`${t.baseUrl}/#/broadcasts`);
    await page.locator('#bc-count').filter({ hasText: '共' }).waitFor();
    await expect(page.locator('#bc-table tbody').textContent()).resolves.not.toContain('大风蓝色预警演练');
    await page.goto(`${t.baseUrl}/#/overview`);
    await page.locator('#ov-rate').filter({ hasText: '%' }).waitFor();
    await shot(page, 'overview');
    await page.goto(`${t.baseUrl}/#/terminal/${terminalIds[0]}`);
    await page.locator('#td-chip .state').first().waitFor();
    await shot(page, 'terminal');
  });

  it('the audio library names the alert that still uses a clip; the audit log verifies its chain; only administrators see them', async () => {
    const officerToken = await t.login('officer1', TEST_USER_PASSWORD);
    const alerts = (await t.http.get('/api/alerts').query({ pageSize: 100 }).set(t.auth(officerToken))).body.items as {
      title: string;
      clipId: string;
    }[];
    const used = alerts.find((a) => a.title === '全县暴雨橙色预警');
    expect(used).toBeDefined();
    const officer = await signIn('officer1');
    await expect(officer.locator('a[data-nav="users"]').isHidden()).resolves.toBe(true);
    await officer.click('a[data-nav="audio"]');
    const row = officer.locator(`#au-table tr[data-clip="${used!.clipId}"]`);
    await row.locator('button[data-play]').click();
    await officer.locator('#au-note').filter({ hasText: '播发音频' }).waitFor();
    await row.locator('button[data-delete]').click();
    await officer.locator('#au-msg.error').filter({ hasText: '全县暴雨橙色预警' }).waitFor();
    await shot(officer, 'audio');

    const admin = await signIn('admin2');
    await admin.click('a[data-nav="users"]');
    await admin.locator('#us-table tr').filter({ hasText: 'officer-east' }).waitFor();
    await shot(admin, 'users');
    await admin.click('a[data-nav="audit"]');
    await admin.locator('#ad-table tbody tr').first().waitFor();
    await admin.click('#ad-verify-go');
    await admin.locator('#ad-verify-result.good').filter({ hasText: '哈希链无断点' }).waitFor();
    await shot(admin, 'audit');
  });
  it('a technician registers one gateway and one terminal on the registry page, each field’s error in Chinese beside it', async () => {
    const page = await signIn('tech1');
    await page.click('a[data-nav="registry"]');
    const gw = page.locator('#rg-gateway-new');
    await gw.locator('summary').click();
    await gw.locator('button[type=submit]').click();
    await gw.locator('.field-error[data-for="name"]').filter({ hasText: '请填写名称' }).waitFor();
    await gw.locator('.field-error[data-for="areaCode"]').filter({ hasText: '请填写所在区域' }).waitFor();
    await gw.locator('input[name=name]').fill('北村网关');
    await gw.locator('select[name=areaCode]').selectOption(villages[0]);
    await gw.locator('input[name=host]').fill('127.0.0.1');
    await gw.locator('input[name=port]').fill('70000');
    await gw.locator('button[type=submit]').click();
    await gw.locator('.field-error[data-for="port"]').filter({ hasText: '端口须为 1–65535 的整数' }).waitFor();
    // a serial kind asks for the serial path instead of host and port
    await gw.locator('select[name=kind]').selectOption('modbus-rtu');
    await expect(gw.locator('[data-field="host"]').isHidden()).resolves.toBe(true);
    await gw.locator('select[name=kind]').selectOption('modbus-tcp');
    await gw.locator('input[name=port]').fill('1');
    await gw.locator('button[type=submit]').click();
    await gw.locator('.msg.ok').filter({ hasText: '已登记网关“北村网关”' }).waitFor();
    const created = page.locator('#rg-gateways tr[data-gateway]').filter({ hasText: '北村网关' });
    await created.waitFor();

    const tm = page.locator('#rg-terminal-new');
    await tm.locator('summary').click();
    await tm.locator('input[name=name]').fill('东村9号喇叭');
    await tm.locator('select[name=areaCode]').selectOption(villages[1]);
    const tech = await t.login('tech1', TEST_USER_PASSWORD);
    const east = (await t.http.get('/api/gateways').query({ areaCode: villages[0] }).set(t.auth(tech))).body.items.find(
      (g: { name: string }) => g.name === '东村网关',
    ) as { id: number };
    await tm.locator('select[name=gatewayId]').selectOption(String(east.id));
    await tm.locator('input[name=unitId]').fill('300');
    await tm.locator('button[type=submit]').click();
    await tm.locator('.field-error[data-for="unitId"]').filter({ hasText: '单元号须为 1–247 的整数' }).waitFor();
    // the server's rules, in words beside the field: the gateway does not serve the village, the unit is taken
    await tm.locator('input[name=unitId]').fill('1');
    await tm.locator('button[type=submit]').click();
    await tm.locator('.field-error[data-for="gatewayId"]').filter({ hasText: '该网关不覆盖所选区域' }).waitFor();
    await tm.locator('select[name=areaCode]').selectOption(villages[0]);
    await tm.locator('button[type=submit]').click();
    await tm.locator('.field-error[data-for="unitId"]').filter({ hasText: '单元号已被占用' }).waitFor();
    await shot(page, 'registry-create');
    await tm.locator('input[name=unitId]').fill('9');
    await tm.locator('input[name=latitude]').fill('91');
    await tm.locator('button[type=submit]').click();
    await tm.locator('.field-error[data-for="latitude"]').filter({ hasText: '纬度须在 -90 到 90 之间' }).waitFor();
    await tm.locator('input[name=latitude]').fill('31.4');
    await tm.locator('button[type=submit]').click();
    const link = page.locator('#rg-terminal-created a').filter({ hasText: '东村9号喇叭' });
    await link.waitFor();
    const id = Number((await link.getAttribute('href'))!.split('/').pop());
    const terminal = await t.http.get(`/api/terminals/${id}`).set(t.auth(tech));
    expect(terminal.body).toMatchObject({ areaCode: villages[0], unitId: 9, latitude: 31.4 });
    // both retired again (the terminal on its page, the gateway beside its row)
    await link.click();
    await page.locator('#td-registry summary').click();
    await page.click('#td-retire');
    await page.waitForURL(/#\/terminals\//);
    await page.click('a[data-nav="registry"]');
    await created.locator('button[data-remove-gateway]').click();
    await page
      .locator('#rg-msg')
      .filter({ hasText: /已退役|（/ })
      .waitFor();
    await expect(page.locator('#rg-msg').textContent()).resolves.toBe('已退役。');
    await expect(created.count()).resolves.toBe(0);
  });
});
