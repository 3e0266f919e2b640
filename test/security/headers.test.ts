/**
 * Finding: no security headers, and Socket.IO polling answered any Origin with that Origin in
 * Access-Control-Allow-Origin, so any web page could read the live feed with a stolen token. Now helmet's headers
 * with a CSP the console satisfies (checked in a real Chromium), and an origin allow-list on Socket.IO.
 */
import { type Browser, chromium } from 'playwright-core';
import { io } from 'socket.io-client';
import { TestApp, createTestApp } from '../support/app';
import { CHROMIUM_PATH, describeWith } from '../support/capabilities';

const POLL = '/socket.io/?EIO=4&transport=polling';

describe('security headers and the Socket.IO origin rule', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite', env: { DALABA_ALLOWED_ORIGINS: 'https://console.example:8443' } });
  });
  afterAll(() => t.close());

  it('sends a CSP without inline script, frame-ancestors none, nosniff and no-referrer on pages and the API', async () => {
    for (const path of ['/', '/api/terminals', '/health']) {
      const res = await t.http.get(path);
      const csp = res.headers['content-security-policy'];
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/script-src[^;]*unsafe-inline/);
      expect(csp).toContain("frame-ancestors 'none'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    }
  });

  it('refuses a polling handshake from a foreign page and never reflects its Origin', async () => {
    const res = await t.http.get(POLL).set('Origin', 'http://evil.example');
    expect(res.status).toBe(403);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    const spoofed = await t.http.get(POLL).set('Origin', 'http://evil.example').set('Host', 'evil.example');
    expect(spoofed.headers['access-control-allow-origin']).toBeUndefined();
  });

  it("accepts the server's own origin and the configured ones, and clients without an Origin", async () => {
    const host = new URL(t.baseUrl).host;
    await t.http.get(POLL).set('Origin', t.baseUrl).set('Host', host).expect(200);
    const listed = await t.http.get(POLL).set('Origin', 'https://console.example:8443').expect(200);
    expect(listed.headers['access-control-allow-origin']).toBe('https://console.example:8443');
    await t.http.get(POLL).expect(200);
  });

  it('screens socket event payloads like request bodies', async () => {
    const admin = await t.adminToken();
    const socket = io(`${t.baseUrl}/live`, { auth: { token: admin }, transports: ['websocket'] });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', reject);
    });
    try {
      const reply = (await socket
        .timeout(5000)
        .emitWithAck('subscribe', JSON.parse('{"kind":"region","id":"341523000000","__proto__":{"x":1}}'))) as {
        ok: boolean;
        code: string;
      };
      expect(reply).toMatchObject({ ok: false, code: 'validation_failed' });
      const bidi = (await socket
        .timeout(5000)
        .emitWithAck('subscribe', { kind: 'region', id: '\u202E341523000000' })) as { ok: boolean; code: string };
      expect(bidi).toMatchObject({ ok: false, code: 'validation_failed' });
    } finally {
      socket.close();
    }
  });
});

describeWith(['chromium'], 'the console under its CSP in Chromium', () => {
  let t: TestApp;
  let browser: Browser;
  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('logs in and shows every page with no CSP violation', async () => {
    const page = await browser.newPage();
    await page.addInitScript({
      content:
        "window.cspViolations = []; document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));",
    });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(`${t.baseUrl}/`);
    await page.locator('input[name=username]').waitFor();
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'admin-test-password');
    await page.click('form#login button[type=submit]');
    await page.locator('#live-state.on').waitFor();
    for (const view of ['terminals', 'alarms', 'daily', 'broadcasts', 'overview']) {
      await page.click(`#nav [data-nav="${view}"]`);
      await page.locator(`#nav [data-nav="${view}"].active`).waitFor();
      await page.locator('#view').waitFor();
    }
    const violations = await page.evaluate<string[]>('window.cspViolations');
    expect([...violations, ...problems]).toEqual([]);
    await page.close();
  });
});
