/**
 * The duty officer's console in a real Chromium against a real server over a small simulated county (two towns, one
 * village each, four Modbus terminals per village, placed by their coordinates: console-county.ts): an officer composes
 * a county alert with text-to-speech and previews it, an approver (another browser) approves it, and both watch it
 * complete on the broadcast page and on the map without a reload; the one-key emergency behind its typed confirmation,
 * confirmed afterwards by the approver; a rejection with its reason and a cancel; a town-scoped officer sees only its
 * town; the audio library names the alert using a clip and the audit log verifies; and no page refreshes data with
 * setInterval. Every wait is on the page's DOM (playwright's waiting), never on the clock. Picking targets on the map,
 * the import and the registry pages: registry-targets.test.ts.
 *
 * Set DALABA_CONSOLE_SHOTS=<folder> to keep screenshots of every main page at 1366×768 and 390×844 there, and the
 * timings measured (first paint, approve → first terminal shown playing) in console-timings.json.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import type { MonitoringService } from '../../src/monitoring/monitoring.service';
import { TEST_USER_PASSWORD, type TestApp } from '../support/app';
import { describeWith } from '../support/capabilities';
import { consoleCounty, COUNTY, SHOTS } from './console-county';

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
  const county = consoleCounty({ timingsFile: 'console-timings.json' });
  const { towns, villages, terminalIds, timings, signIn, shot, intervalsOf, previewed } = county;
  let t: TestApp;
  let network: SimulatedNetwork;
  let monitoring: MonitoringService;
  beforeAll(() => ({ t, network, monitoring } = county));

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
});
