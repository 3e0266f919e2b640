/**
 * The server, the small simulated county and the browser that the duty officer's console suites share
 * (test/console/alerts.test.ts, test/console/registry-targets.test.ts): a real server over two towns, one village each,
 * four Modbus terminals per village placed by their coordinates, every terminal online before the first test; the
 * accounts officer1, approver1, tech1, officer-east (the first town only) and admin2; and sign-in, screenshot and
 * preview helpers. Call consoleCounty() in a describe block: it registers the beforeAll and afterAll that set it up
 * and close it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { filter, firstValueFrom } from 'rxjs';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { AudioService } from '../../src/audio/audio.service';
import { CommandSigning } from '../../src/field/command-signing';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { TEST_USER_PASSWORD, type TestApp, createTestApp } from '../support/app';
import { CHROMIUM_PATH } from '../support/capabilities';
import { CONSOLE_SERVER_ENV } from './console-env';

export const COUNTY = '341523000000';
const UNITS = [1, 2, 3, 4];
/** Set DALABA_CONSOLE_SHOTS=<folder> to keep screenshots (and timings) there. */
export const SHOTS = process.env.DALABA_CONSOLE_SHOTS;

export interface ConsoleCounty {
  t: TestApp;
  network: SimulatedNetwork;
  monitoring: MonitoringService;
  /** The first town, then the second; their villages in the same order. */
  towns: string[];
  villages: string[];
  /** The terminals of the first village (units 1–4), then those of the second. */
  terminalIds: number[];
  /** Timings measured by the tests, written to `timingsFile` in SHOTS at the end. */
  timings: Record<string, number>;
  signIn(username: string): Promise<Page>;
  shot(page: Page, name: string, focus?: string): Promise<void>;
  intervalsOf(page: Page): Promise<string[]>;
  previewed(page: Page): Promise<void>;
}

/** Sets up the county console fixture for the describe block it is called in; its fields are set once beforeAll ran. */
export function consoleCounty(opts: { timingsFile?: string } = {}): ConsoleCounty {
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
    if (SHOTS && opts.timingsFile)
      writeFileSync(join(SHOTS, opts.timingsFile), `${JSON.stringify(timings, null, 2)}\n`);
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await t?.close();
    await network?.stop();
  });

  return {
    get t() {
      return t;
    },
    get network() {
      return network;
    },
    get monitoring() {
      return monitoring;
    },
    towns,
    villages,
    terminalIds,
    timings,
    signIn,
    shot,
    intervalsOf,
    previewed,
  };
}
