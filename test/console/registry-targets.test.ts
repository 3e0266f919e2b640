/**
 * The duty officer's console in a real Chromium over the small simulated county of console-county.ts (two towns, one
 * village each, four Modbus terminals per village): an officer picks targets on the map in step with the region tree
 * and the live count; a technician imports a spreadsheet with bad rows shown beside them and edits the regions, then
 * registers a gateway and a terminal with each field's error beside it. Every wait is on the page's DOM (playwright's
 * waiting), never on the clock.
 *
 * Set DALABA_CONSOLE_SHOTS=<folder> to keep screenshots of these pages at 1366×768 and 390×844 there.
 */
import { TEST_USER_PASSWORD, type TestApp } from '../support/app';
import { describeWith } from '../support/capabilities';
import { consoleCounty } from './console-county';

jest.setTimeout(240_000);

describeWith(['chromium'], 'picking targets and the registry pages in the console, in Chromium', () => {
  const county = consoleCounty();
  const { towns, villages, terminalIds, signIn, shot, previewed } = county;
  let t: TestApp;
  beforeAll(() => ({ t } = county));

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
    // the message comes first, then the list is read again without the gateway
    await created.waitFor({ state: 'detached' });
    await expect(created.count()).resolves.toBe(0);
  });
});
