/**
 * 终端自检 in Chromium: over a simulated county (one terminal with a speaker line short only a self-test finds, one
 * with firmware that lacks the self-test), a technician runs a self-test from a terminal's page and reads its checks;
 * the 自检 page names the day's missed tests with links to their terminals. A town's technician sees its town only, and
 * its open 自检 and terminal pages follow a test another user runs over /live. Every wait is on the page's DOM.
 *
 * With DALABA_CONSOLE_SHOTS=<folder> the pages are kept there as console-selftest-*-1366.png.
 */
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { CommandSigning } from '../../src/field/command-signing';
import { TEST_USER_PASSWORD, type TestApp, createTestApp } from '../support/app';
import { CHROMIUM_PATH, describeWith } from '../support/capabilities';
import { registerSimulatedCounty } from '../support/county';
import { CONSOLE_SERVER_ENV, signedInPage } from './console-env';

const SHOTS = process.env.DALABA_CONSOLE_SHOTS;
const COUNTY = '341523000000';

jest.setTimeout(180_000);

describeWith(['chromium'], '终端自检 in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  let network: SimulatedNetwork;
  let terminalIds: Record<number, number>[];
  let towns: string[];

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite', env: { ...CONSOLE_SERVER_ENV, DALABA_SELFTEST_WINDOW: 'off' } });
    const admin = await t.adminToken();
    const county = referenceCounty();
    const townOf = (areaCode: string) => `${areaCode.slice(0, 9)}000`;
    const first = county.gateways[0];
    const second = county.gateways.find((g) => townOf(g.areaCode) !== townOf(first.areaCode))!;
    towns = [townOf(first.areaCode), townOf(second.areaCode)];
    ({ network } = await startCountyNetwork({
      shape: { ...county, gateways: [first, second] },
      clock: systemClock,
      seed: 7,
      deadFraction: 0,
      noise: 0,
      certificates: [t.app.get(CommandSigning).certificate],
      selfTest: (terminal) => terminal.unitId !== 3,
    }));
    network.setFault(0, 2, 'speaker-line-short');
    ({ terminalIds } = await registerSimulatedCounty(t, admin, network, {
      regions: [
        { code: COUNTY, name: '舒城县' },
        { code: towns[0], name: '城关镇' },
        { code: towns[1], name: '干汊河镇' },
      ],
      units: [1, 2, 3],
      requestTimeoutMs: 150,
    }));
    await t.createUser({ username: 'tech1', roles: ['technician'], scopes: [COUNTY] });
    await t.createUser({ username: 'tech2', roles: ['technician'], scopes: [towns[1]] });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await network?.stop();
  });

  it('runs a self-test from the terminal page and shows each check', async () => {
    const { page, errors } = await signedInPage(browser, t.baseUrl, 'tech1');
    await page.goto(`${t.baseUrl}/#/terminal/${terminalIds[0][2]}`);
    await page.locator('#td-selftest-last', { hasText: '尚未自检' }).waitFor();
    await page.click('#td-selftest-run');
    await page.locator('#td-selftest-msg', { hasText: '自检发现故障' }).waitFor({ timeout: 60_000 });
    const last = (await page.locator('#td-selftest-last').textContent()) ?? '';
    expect(last).toContain('发现故障');
    expect(last).toMatch(/喇叭线路：短路（2 Ω）/);
    expect(last).toMatch(/电池：正常（13\.2 V）/);
    await page.locator('#td-selftest-history tbody tr', { hasText: 'tech1' }).waitFor();
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'console-selftest-terminal-1366.png'), fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('names the missed tests of the day on the 自检 page, and a town technician sees its town only', async () => {
    const { page, errors } = await signedInPage(browser, t.baseUrl, 'tech1');
    await page.click('#nav a[data-nav=selftests]');
    await page.goto(`${t.baseUrl}/#/selftests/${COUNTY}`);
    const summary = page.locator('#st-summary');
    await summary.waitFor();
    await expect(summary.textContent()).resolves.toMatch(/应测终端6.*已完成1.*发现故障 1.*漏测5/s);
    const rows = page.locator('#st-missed tbody tr');
    await expect(rows.count()).resolves.toBe(5);
    await expect(rows.first().textContent()).resolves.toContain('未执行');
    if (SHOTS) await page.screenshot({ path: join(SHOTS, 'console-selftest-report-1366.png'), fullPage: true });
    await rows.first().locator('a').click();
    await page.locator('#td-selftest').waitFor();
    expect(errors).toEqual([]);
    await page.context().close();

    const town = await signedInPage(browser, t.baseUrl, 'tech2');
    await town.page.goto(`${t.baseUrl}/#/selftests/${COUNTY}`);
    await town.page.locator('#st-summary').waitFor();
    await expect(town.page.locator('#st-missed tbody tr').count()).resolves.toBe(3);
    expect(town.errors).toEqual([]);
    await town.page.context().close();
  });

  it("updates a town technician's open 自检 page and terminal page live when another user runs a test", async () => {
    const report = await signedInPage(browser, t.baseUrl, 'tech2');
    await report.page.goto(`${t.baseUrl}/#/selftests/${towns[1]}`);
    const summary = report.page.locator('#st-summary');
    await summary.filter({ hasText: /已完成0.*漏测3/s }).waitFor();
    const terminal = await signedInPage(browser, t.baseUrl, 'tech2');
    await terminal.page.goto(`${t.baseUrl}/#/terminal/${terminalIds[1][1]}`);
    await terminal.page.locator('#td-selftest-last', { hasText: '尚未自检' }).waitFor();
    // marks a reload would wipe
    for (const page of [report.page, terminal.page]) await page.evaluate('window.sameDocument = true');
    const tech1 = await t.login('tech1', TEST_USER_PASSWORD);
    // another town's terminal first: nothing of it reaches this technician's pages
    await t.http.post(`/api/terminals/${terminalIds[0][1]}/self-test`).set(t.auth(tech1)).expect(200);
    await t.http.post(`/api/terminals/${terminalIds[1][1]}/self-test`).set(t.auth(tech1)).expect(200);
    await summary.filter({ hasText: /已完成1（通过 1.*漏测2/s }).waitFor();
    await terminal.page.locator('#td-selftest-last', { hasText: '通过' }).waitFor();
    await terminal.page.locator('#td-selftest-history tbody tr', { hasText: 'tech1' }).waitFor();
    await expect(terminal.page.locator('#td-selftest-history tbody tr').count()).resolves.toBe(1);
    for (const { page, errors } of [report, terminal]) {
      await expect(page.evaluate('window.sameDocument')).resolves.toBe(true);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });
});
