/**
 * The web console (web/, served at /) in a real Chromium against a real server over a small simulated county (one
 * town, two villages, four terminals each, Modbus TCP with line timing): a technician logs in through the page, sees
 * the online rate, watches a killed terminal turn offline without a reload, runs a test tone from the detail page and
 * sees its result; a viewer sees no command buttons (and the API refuses them with 403). Every wait is on the page's
 * DOM (playwright's waiting) or on the server's own streams, never on the clock.
 *
 * Set DALABA_CONSOLE_SHOTS=<folder> to keep a screenshot of every page there.
 */
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { startCountyNetwork } from '../../device-drivers/simulator/county-network';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import type { SimulatedNetwork } from '../../device-drivers/simulator/network';
import { systemClock } from '../../device-drivers/transport/clock';
import { consoleRoot } from '../../src/app.setup';
import { CommandSigning } from '../../src/field/command-signing';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { StatusWriter } from '../../src/monitoring/status-writer';
import { TEST_USER_PASSWORD, type TestApp, createTestApp } from '../support/app';
import { CONSOLE_SERVER_ENV } from './console-env';
import { CHROMIUM_PATH, describeWith } from '../support/capabilities';
import { AudioService } from '../../src/audio/audio.service';
import { Transactions } from '../../src/database/transactions';
import type { DispatchOrder } from '../../src/dispatch/dispatch-order';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { filter, firstValueFrom } from 'rxjs';

const COUNTY = '341523000000';
const UNITS = [1, 2, 3, 4];
const SHOTS = process.env.DALABA_CONSOLE_SHOTS;

// a real browser, real sockets and line timing: offline takes the configured seconds of silence
jest.setTimeout(90_000);

describe('the console is served beside the API', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
  });
  afterAll(() => t?.close());

  it('serves web/ at / while /api, /api/docs, /health, /metrics and the Socket.IO client keep working', async () => {
    const index = await t.http.get('/').expect(200);
    expect(index.headers['content-type']).toMatch(/^text\/html/);
    expect(index.text).toContain('大喇叭');
    expect(index.text).toContain('lang="zh-CN"');
    await t.http
      .get('/js/app.js')
      .expect(200)
      .expect('content-type', /javascript/);
    await t.http.get('/console.css').expect(200).expect('content-type', /css/);
    await t.http.get('/socket.io/socket.io.esm.min.js').expect(200);
    await t.http.get('/health').expect(200);
    await t.http.get('/metrics').expect(200);
    await t.http.get('/api/docs/openapi.json').expect(200);
    await t.http.get('/api/terminals').expect(401);
    const unknown = await t.http.get('/api/no-such-thing').expect(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, code: 'not_found' });
    await t.http.get('/no-such-page.html').expect(404);
  });

  it('finds web/ from the sources and from the build alike', () => {
    const root = consoleRoot();
    expect(root).not.toBeNull();
    expect(consoleRoot(join(root!, '..', 'dist', 'src'))).toBe(root);
    expect(consoleRoot('/')).toBeNull();
  });
});

describeWith(['chromium'], 'the console in Chromium over a simulated county', () => {
  let t: TestApp;
  let network: SimulatedNetwork;
  let monitoring: MonitoringService;
  let browser: Browser;
  let town: string;
  const villages: string[] = [];
  const terminalIds: Record<number, number>[] = [];
  let viewerToken: string;

  const online = (id: number): boolean => monitoring.terminal(id)?.online === true;
  const until = async (holds: () => boolean): Promise<void> => {
    if (holds()) return;
    await firstValueFrom(monitoring.changes.pipe(filter(() => holds())));
  };
  const post = async (path: string, token: string, body: object): Promise<{ id: number }> => {
    const res = await t.http.post(path).set(t.auth(token)).send(body);
    if (res.status !== 201) throw new Error(`${path} ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: number };
  };
  const shot = async (page: Page, name: string): Promise<void> => {
    if (SHOTS) await page.screenshot({ path: join(SHOTS, `console-${name}.png`), fullPage: true });
  };

  /** A fresh browser context (its own storage), logged in through the login page. */
  const signIn = async (username: string): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({
      viewport: { width: 1400, height: 900 },
      locale: 'zh-CN',
      timezoneId: 'Asia/Shanghai',
    });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${t.baseUrl}/`);
    await page.locator('input[name=username]').waitFor();
    await shot(page, 'login');
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', TEST_USER_PASSWORD);
    await page.click('form#login button[type=submit]');
    await page.locator('#ov-rate').filter({ hasText: '%' }).waitFor();
    expect(errors).toEqual([]);
    return { context, page };
  };

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite', env: CONSOLE_SERVER_ENV });
    const admin = await t.adminToken();
    monitoring = t.app.get(MonitoringService);
    const county = referenceCounty();
    const shape = { ...county, gateways: county.gateways.slice(0, 2) };
    town = `${shape.gateways[0].areaCode.slice(0, 9)}000`;
    ({ network } = await startCountyNetwork({
      shape,
      clock: systemClock,
      seed: 11,
      deadFraction: 0,
      noise: 0,
      certificates: [t.app.get(CommandSigning).certificate],
    }));
    await post('/api/regions', admin, { code: COUNTY, name: '舒城县' });
    await post('/api/regions', admin, { code: town, name: '城关镇' });
    for (const [i, g] of shape.gateways.entries()) {
      villages.push(g.areaCode);
      await post('/api/regions', admin, { code: g.areaCode, name: `${['东', '西'][i]}村` });
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
      terminalIds.push({});
      for (const u of UNITS) {
        terminalIds[i][u] = (
          await post('/api/terminals', admin, {
            name: `${['东', '西'][i]}村${u}号喇叭`,
            areaCode: g.areaCode,
            gatewayId: id,
            unitId: u,
          })
        ).id;
      }
    }
    await t.createUser({ username: 'tech1', roles: ['technician'], scopes: [COUNTY] });
    await t.createUser({ username: 'officer1', roles: ['officer'], scopes: [COUNTY] });
    await t.createUser({ username: 'viewer-east', roles: ['viewer'], scopes: [villages[0]] });
    viewerToken = (await t.createUser({ username: 'viewer1', roles: ['viewer'], scopes: [COUNTY] })).token;
    await until(() => terminalIds.flatMap((m) => Object.values(m)).every(online));
    await t.app.get(StatusWriter).sampleOnlineRates(new Date());
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await network?.stop();
  });

  it('a technician sees the online rate, a killed terminal turning offline without a reload, and a test tone’s result', async () => {
    const { context, page } = await signIn('tech1');
    await expect(page.locator('#ov-rate').textContent()).resolves.toBe('100.00%');
    await expect(page.locator('#ov-counts').textContent()).resolves.toBe('在线 8 / 登记 8');
    await expect(page.locator('#ov-children tbody tr').count()).resolves.toBe(1);
    await shot(page, 'overview');

    await page.click(`#ov-children a[href="#/overview/${town}"]`);
    await page.locator(`#ov-children tr[data-area="${villages[0]}"]`).filter({ hasText: '100.00%' }).waitFor();

    await page.goto(`${t.baseUrl}/#/terminals/${villages[0]}`);
    const victim = terminalIds[0][2];
    const victimRow = page.locator(`tr[data-terminal="${victim}"]`);
    await victimRow.locator('.state[data-state="online"]').waitFor();
    await expect(page.locator('#tm-table tbody tr[data-terminal]').count()).resolves.toBe(4);
    await expect(victimRow.textContent()).resolves.toContain('东村2号喇叭');

    network.setFault(0, 2, 'dead');
    await victimRow.locator('.state[data-state="offline"]').waitFor({ timeout: 30_000 });
    await page.locator('#tm-filters a[data-filter="offline"] b').filter({ hasText: /^1$/ }).waitFor();
    await shot(page, 'terminals');
    await page.click('#tm-filters a[data-filter="offline"]');
    await page.locator('#tm-filters a.active[data-filter="offline"]').waitFor();
    await page.locator('#tm-count').filter({ hasText: '共 1 台' }).waitFor();
    await expect(page.locator('#tm-table tbody tr[data-terminal]').getAttribute('data-terminal')).resolves.toBe(
      String(victim),
    );

    await page.click('a[data-nav="overview"]');
    await page.locator('#ov-rate').filter({ hasText: '87.50%' }).waitFor();

    // repaired in the field: the technician reads it at once instead of waiting for the bus's next try
    network.setFault(0, 2, 'none');
    await page.goto(`${t.baseUrl}/#/terminal/${victim}`);
    await page.click('form[data-action="poll"] button');
    await page.locator('#td-result.ok').filter({ hasText: '终端应答' }).waitFor();
    await page.locator('#td-chip .state[data-state="online"]').waitFor();
    expect(online(victim)).toBe(true);
    await t.app.get(StatusWriter).flush();
    await page.click('#td-history-reload');
    await page.locator('#td-history tbody tr').filter({ hasText: '→ 离线' }).waitFor();
    await page.locator('#td-history tbody tr').filter({ hasText: '离线 → 在线' }).waitFor();
    const healthy = terminalIds[0][1];
    await page.goto(`${t.baseUrl}/#/terminal/${healthy}`);
    await page.locator('#td-chip .state[data-state="online"]').waitFor();
    await page.locator('form[data-action="test-tone"] input[name=seconds]').fill('3');
    await page.click('form[data-action="test-tone"] button');
    const result = page.locator('#td-result.ok');
    await result.waitFor();
    await expect(result.textContent()).resolves.toMatch(
      /测试音：终端已执行 · 命令序号 \d+ · 耗时 \d+ ms · 回读：播放中/,
    );
    await page.locator('#td-chip .state[data-state="playing"]').waitFor();
    await expect(page.locator('#td-demo').isHidden()).resolves.toBe(true);
    await page.click('form[data-action="bus"] button');
    await page.locator('#td-bus tr').first().waitFor();
    await expect(page.locator('#td-bus').textContent()).resolves.toContain('总线占用率');
    await shot(page, 'terminal');

    await page.click('a[data-nav="alarms"]');
    await page.locator('#al-table tbody tr').first().waitFor();
    await page.click('a[data-nav="daily"]');
    await page.locator('#dy-table tbody tr').filter({ hasText: '100.00%' }).first().waitFor();
    await shot(page, 'daily');
    await context.close();
  });

  it('a killed gateway shows as one bus alarm that a technician acknowledges on the alarms page', async () => {
    const { context, page } = await signIn('tech1');
    await page.click(`a[href="#/alarms?area=${COUNTY}"]`);
    await page.locator('#al-count').filter({ hasText: '共' }).waitFor();
    await network.killGateway(1);
    const row = page.locator('#al-table tbody tr.unacked').filter({ hasText: '总线中断' });
    await row.waitFor({ timeout: 30_000 });
    await expect(row.textContent()).resolves.toContain('西村');
    await row.locator('a').filter({ hasText: '西村网关' }).waitFor();
    await page
      .locator('#alarm-count')
      .filter({ hasText: /^[1-9]/ })
      .waitFor();
    await row.locator('button[data-ack]').click();
    await page.locator('#al-table tbody tr.acked').filter({ hasText: 'tech1' }).waitFor();
    await shot(page, 'alarms');
    await network.reviveGateway(1);
    await until(() => Object.values(terminalIds[1]).every(online));
    await context.close();
  });

  it('the overview shows a technician how many terminals hold the built-in chime; a viewer does not see it', async () => {
    const { context, page } = await signIn('tech1');
    const chime = page.locator('#ov-tones tr[data-tone="tone-chime"]');
    await chime.filter({ hasText: '8 / 8' }).waitFor({ timeout: 60_000 });
    await expect(chime.textContent()).resolves.toContain('提示音');
    await expect(chime.textContent()).resolves.toContain('100.00%');
    await page.locator('#ov-tones-buses').filter({ hasText: '总线：' }).waitFor();
    await shot(page, 'overview-tones');
    await context.close();
    const viewer = await signIn('viewer1');
    await expect(viewer.page.locator('#ov-tones').count()).resolves.toBe(0);
    await viewer.context.close();
  });

  it('a viewer sees the same terminal without command buttons, and the API refuses the commands with 403; a crafted link injects nothing', async () => {
    const { context, page } = await signIn('viewer1');
    const id = terminalIds[0][1];
    await page.goto(`${t.baseUrl}/#/terminal/${id}`);
    await page.locator('#td-live tr').first().waitFor();
    await expect(page.locator('#td-diag').count()).resolves.toBe(0);
    await expect(page.locator('form[data-action] button').count()).resolves.toBe(0);
    await page.click('a[data-nav="alarms"]');
    await page.locator('#al-count').filter({ hasText: '共' }).waitFor();
    await expect(page.locator('button[data-ack]').count()).resolves.toBe(0);
    await page.goto(`${t.baseUrl}/#/overview/"><img src=x onerror="window.__injected=1">`);
    await page.locator('#ov-rate').filter({ hasText: '%' }).waitFor();
    await expect(page.locator('.crumbs').textContent()).resolves.toContain('舒城县');
    await expect(page.evaluate(() => (globalThis as { __injected?: number }).__injected)).resolves.toBeUndefined();
    await t.http.post(`/api/terminals/${id}/test-tone`).set(t.auth(viewerToken)).send({}).expect(403);
    await t.http.post(`/api/terminals/${id}/reboot`).set(t.auth(viewerToken)).send({}).expect(403);
    await context.close();
  });

  it('after a county technician signs out, a viewer of one village in the same browser sees only that village', async () => {
    const { context, page } = await signIn('tech1');
    await page.goto(`${t.baseUrl}/#/terminals/${COUNTY}`);
    await page.locator('#tm-count').filter({ hasText: '共 8 台' }).waitFor();
    await page.click('#logout');
    await page.fill('input[name=username]', 'viewer-east');
    await page.fill('input[name=password]', TEST_USER_PASSWORD);
    await page.click('form#login button[type=submit]');
    await page.locator('#ov-rate').filter({ hasText: '%' }).waitFor();
    await expect(page.locator('.crumbs').textContent()).resolves.toContain('东村');
    await page.goto(`${t.baseUrl}/#/terminals/${COUNTY}`);
    await page
      .locator('#tm-count')
      .filter({ hasText: /^共 \d+ 台$/ })
      .waitFor();
    await expect(page.locator('#tm-count').textContent()).resolves.toBe('共 4 台');
    await expect(page.locator('#tm-table').textContent()).resolves.not.toContain('西村');
    await context.close();
  });

  it('an officer finds the alert just composed in the 应急广播 list, marked as a drill', async () => {
    const officer = await t.login('officer1', TEST_USER_PASSWORD);
    await t.app.get(AudioService).settled('tone-chime');
    const alert = await post('/api/alerts', officer, {
      eventType: '11B03',
      severity: 2,
      messageType: 'terminalDrill',
      title: '暴雨橙色预警演练',
      text: '城关镇暴雨演练。',
      targets: { areaCodes: [town] },
      audio: { kind: 'tone', toneId: 'tone-chime' },
      endAt: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const { context, page } = await signIn('officer1');
    await page.click('a[data-nav="broadcasts"]');
    const row = page.locator(`#bc-table tr[data-alert="${alert.id}"]`);
    await row.waitFor();
    const text = await row.textContent();
    expect(text).toContain('暴雨橙色预警演练');
    expect(text).toContain('草稿');
    expect(text).toContain('演练');
    expect(text).toContain('城关镇');
    await shot(page, 'broadcasts');
    await context.close();
  });

  it('a broadcast played on every terminal of the town shows 100 % coverage, by town, on its page', async () => {
    await t.app.get(AudioService).settled('tone-chime');
    const dispatch = t.app.get(DispatchService);
    const now = Date.now();
    const order: DispatchOrder = {
      alertId: 9001,
      broadcastId: `43415230000000101010101${'20261201'}9001`,
      title: '县应急广播测试',
      eventType: '11B03',
      severity: 2,
      messageType: 'terminalDrill',
      broadcastClass: 3,
      priority: 5,
      clipId: 'tone-chime',
      repeat: 1,
      volume: 60,
      startAt: new Date(now),
      endAt: new Date(now + 120_000),
      terminalIds: terminalIds.flatMap((m) => Object.values(m)),
      emergency: false,
      userId: 1,
    };
    await t.app.get(Transactions).run((tx) => dispatch.plan(order, tx));
    dispatch.launch(order.broadcastId);
    const { context, page } = await signIn('tech1');
    await page.goto(`${t.baseUrl}/#/broadcast/${order.broadcastId}`);
    await dispatch.settled(order.broadcastId);
    await page.locator('#bd-coverage').filter({ hasText: '100.00%' }).waitFor();
    await expect(page.locator('#bd-towns tbody').textContent()).resolves.toContain('城关镇');
    await page.locator('#bd-state').filter({ hasText: '已完成' }).waitFor();
    const [report] = await Promise.all([page.waitForEvent('download'), page.click('button[data-report="csv"]')]);
    expect(report.suggestedFilename()).toMatch(/\.csv$/);
    await shot(page, 'broadcast');
    await context.close();
  });
});
