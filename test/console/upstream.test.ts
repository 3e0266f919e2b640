/**
 * 上级消息 in Chromium: the simulated province (registered as an EBD sender through the API) sends a signed EBM and a
 * forged one; an administrator opens the inbox, sees the first 验签通过 with the alert it made and follows the link to
 * that alert, sees the forged one 验签失败 with nothing made of it, and opens a message's detail with its raw packet.
 * A viewer has no 上级消息 in the navigation. Every wait is on the page's DOM.
 *
 * With DALABA_CONSOLE_SHOTS=<folder> the page is kept there as console-upstream-1366.png.
 */
import { join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { generateKeyPair, sign } from '../../firmware-protocols/signing';
import { FieldBuses } from '../../src/field/field-buses';
import type { UpstreamSimulator } from '../../src/upstream/upstream-simulator';
import { COUNTY, registerCounty, TOWN, type County } from '../dispatch/county';
import { type TestApp, createTestApp } from '../support/app';
import { CHROMIUM_PATH, describeWith } from '../support/capabilities';
import { connectProvince } from '../upstream/support';
import { CONSOLE_SERVER_ENV, signedInPage } from './console-env';

const SHOTS = process.env.DALABA_CONSOLE_SHOTS;

jest.setTimeout(180_000);

describeWith(['chromium'], '上级消息 in Chromium', () => {
  let t: TestApp;
  let county: County;
  let sim: UpstreamSimulator;
  let browser: Browser;
  let ebmId: string;

  /** A fresh browser logged in through the login page, failing on any page error. */
  const signIn = (username: string): Promise<{ page: Page; errors: string[] }> =>
    signedInPage(browser, t.baseUrl, username);

  beforeAll(async () => {
    t = await createTestApp({
      database: 'sqlite',
      env: { ...CONSOLE_SERVER_ENV, DALABA_UPSTREAM_HEARTBEAT: '0', DALABA_UPSTREAM_STATUS_EVERY: '0' },
    });
    const admin = await t.adminToken();
    county = await registerCounty(t, admin);
    await t.app.get(FieldBuses).settled();
    ({ sim } = await connectProvince(t, admin, { dispatchSeverities: [1] }));
    // a Ⅲ waits for local review: an alert is made, nothing goes on air
    const sent = await sim.sendEbm({ severity: 3, areaCodes: [TOWN], title: '上级暴雨黄色预警' });
    expect(sent.response).toMatchObject({ resultCode: 1 });
    ebmId = sent.ebmId ?? '';
    const forger = generateKeyPair();
    const forged = await sim.seal(
      { type: 'EBM', ebm: sim.ebm({ areaCodes: [TOWN], title: '伪造预警' }) },
      { signer: { certSn: sim.certSn, sign: (d) => sign(d, forger.privateKey) } },
    );
    expect((await sim.post(forged.tar, forged.fileName)).response).toMatchObject({ resultCode: 4 });
    await t.createUser({ username: 'viewer1', roles: ['viewer'], scopes: [COUNTY] });
    await t.createUser({ username: 'admin2', roles: ['admin'] });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await sim?.stop();
    await county?.network.stop();
  });

  it('shows the verified packet with its alert, the forged one 验签失败, the detail, and edits a sender', async () => {
    const { page, errors } = await signIn('admin2');
    await page.click('#nav a[data-nav=upstream]');
    const rows = page.locator('#up-inbox tbody tr');
    await rows.nth(1).waitFor();
    expect(await rows.count()).toBe(2);
    // newest first: the forged one, refused, no alert
    const forged = rows.nth(0);
    await expect(forged.locator('[data-verification]').textContent()).resolves.toContain('验签失败');
    await expect(forged.textContent()).resolves.toContain('已拒收');
    expect(await forged.locator('a[data-alert]').count()).toBe(0);
    const good = rows.nth(1);
    await expect(good.locator('[data-verification]').textContent()).resolves.toBe('验签通过');
    await expect(good.textContent()).resolves.toContain('待本地审核');
    await expect(good.textContent()).resolves.toContain(sim.name);
    // the senders (administrator) and the outbox
    await expect(page.locator('#up-senders tbody').textContent()).resolves.toContain(sim.ebrId);
    await expect(page.locator('#up-outbox-box').isHidden()).resolves.toBe(false);

    // the detail, with the packet as received
    await good.locator('a', { hasText: '详情' }).click();
    await page.locator('#up-detail-verification').filter({ hasText: '验签通过' }).waitFor();
    await expect(page.locator('#up-detail').textContent()).resolves.toContain(ebmId);
    const download = page.waitForEvent('download');
    await page.click('#up-raw');
    expect((await download).suggestedFilename()).toMatch(/^EBDT_\d+\.tar$/);
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'console-upstream-1366.png'), fullPage: true });

    // an administrator changes the sender's policy through its form
    await page.click('#up-senders button[data-edit]');
    await page.check('#up-sender-form input[name=sev][value="2"]');
    await page.click('#up-sender-form button[type=submit]');
    await page.locator('#up-senders tbody').filter({ hasText: 'Ⅰ、Ⅱ 级直接播发' }).waitFor();
    const senders = await t.http
      .get('/api/upstream/senders')
      .set(t.auth(await t.adminToken()))
      .expect(200);
    expect(senders.body[0]).toMatchObject({ dispatchSeverities: [1, 2], certSn: sim.certSn, enabled: true });

    // the link goes to the alert it made
    await page.locator('#up-inbox tbody tr').nth(1).locator('a[data-alert]').click();
    await page.locator('#al-title').filter({ hasText: '上级暴雨黄色预警' }).waitFor();
    expect(page.url()).toMatch(/#\/alert\/\d+$/);
    expect(errors).toEqual([]);
  });

  it('is not in a viewer’s navigation', async () => {
    const { page } = await signIn('viewer1');
    await expect(page.locator('#nav a[data-nav=upstream]').isHidden()).resolves.toBe(true);
  });
});
