/**
 * CAP 1.2: the sample messages (the OASIS specification's examples and China Meteorological Administration style
 * warnings, firmware-protocols/ebd/vectors/cap) validate against the OASIS schema with libxml2 (xmllint-wasm) — the
 * broken one does not, naming why; POSTed, each is recorded, mapped and acted on by the review policy (areas by
 * geocode, or by polygon against the terminals' coordinates); a cancel cancels; our own alerts export as valid CAP; a
 * polled Atom feed's entries are taken once each.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { parseCap } from '../../firmware-protocols/ebd';
import { CapFeeds } from '../../src/upstream/cap/cap-feeds';
import { CapSchema } from '../../src/upstream/cap/cap-schema';
import { COUNTY, registerCounty, TOWN, type County } from '../dispatch/county';
import { createTestApp, type TestApp } from '../support/app';

jest.setTimeout(90_000);

const DIR = join(__dirname, '../../firmware-protocols/ebd/vectors/cap');
const SAMPLES = readdirSync(DIR)
  .filter((f) => f.endsWith('.xml'))
  .sort();
const sample = (name: string): Buffer => readFileSync(join(DIR, name));

describe('CAP 1.2 schema validation (xmllint-wasm, OASIS XSD)', () => {
  const schema = new CapSchema();

  it.each(SAMPLES.filter((f) => !f.startsWith('invalid')))('%s validates', async (name) => {
    expect(await schema.validate(sample(name).toString('utf8'))).toEqual({ valid: true, errors: [] });
  });

  it('refuses the broken sample naming the missing <sender>, and a severity CAP does not have', async () => {
    const r = await schema.validate(sample('invalid-missing-sender.xml').toString('utf8'));
    expect(r.valid).toBe(false);
    expect(r.errors.join('\n')).toMatch(/Expected is \( \{urn:oasis:names:tc:emergency:cap:1\.2\}sender \)/);
    const severity = await schema.validate(
      sample('oasis-thunderstorm.xml')
        .toString('utf8')
        .replace('<severity>Severe</severity>', '<severity>Catastrophic</severity>'),
    );
    expect(severity.errors.join('\n')).toMatch(/Catastrophic/);
  });

  it('refuses what is not CAP at all', async () => {
    expect((await schema.validate('<alert xmlns="urn:example"><identifier>x</identifier></alert>')).valid).toBe(false);
    expect((await schema.validate('not xml')).valid).toBe(false);
  });
});

describe('CAP 1.2 in and out', () => {
  let t: TestApp;
  let admin: string;
  let officer: string;
  let county: County;

  const post = (name: string, token = officer, body = sample(name)) =>
    t.http.post('/api/upstream/cap').set(t.auth(token)).attach('file', body, name);

  beforeAll(async () => {
    t = await createTestApp({ database: 'sqlite' });
    admin = await t.adminToken();
    county = await registerCounty(t, admin);
    officer = (await t.createUser({ username: 'officer-cap', roles: ['officer'], scopes: [COUNTY] })).token;
  });

  afterAll(async () => {
    await t?.close();
    await county?.network.stop();
  });

  it('records the OASIS examples and does not act on them: outside the county, or past', async () => {
    for (const name of ['oasis-homeland-security.xml', 'oasis-thunderstorm.xml']) {
      const r = await post(name).expect(201);
      expect(r.body).toMatchObject({ verification: 'valid', alertId: null });
      expect(['ignored']).toContain(r.body.disposition);
    }
    const quake = await post('oasis-earthquake.xml').expect(201);
    expect(quake.body).toMatchObject({
      verification: 'valid',
      disposition: 'ignored',
      detail: expect.stringContaining('Past'),
    });
  });

  it('refuses an invalid document with 400 naming the schema errors, and keeps it as received', async () => {
    const r = await post('invalid-missing-sender.xml').expect(400);
    expect(r.body).toMatchObject({ code: 'validation_failed' });
    expect(r.body.details[0]).toMatchObject({ field: 'file' });
    const inbox = await t.http.get('/api/upstream/messages').query({ kind: 'cap' }).set(t.auth(admin)).expect(200);
    expect(inbox.body.items[0]).toMatchObject({ verification: 'schema-invalid', disposition: 'refused' });
  });

  it('maps a county warning by geocode onto a held alert, refuses it again as a replay, and cancels it by reference', async () => {
    const r = await post('cma-rainstorm-county.xml').expect(201);
    expect(r.body).toMatchObject({ verification: 'valid', disposition: 'held' });
    const alert = await t.http.get(`/api/alerts/${r.body.alertId}`).set(t.auth(admin)).expect(200);
    expect(alert.body).toMatchObject({
      state: 'submitted',
      source: 'cap',
      eventType: '11B03',
      severity: 2,
      targets: { areaCodes: [TOWN] },
      title: '舒城县气象台发布暴雨橙色预警信号',
    });
    expect(alert.body.upstreamId).toBe('34152341600000,34152341600000_20261206200000');

    const again = await post('cma-rainstorm-county.xml').expect(201);
    expect(again.body).toMatchObject({ verification: 'replayed', disposition: 'refused', alertId: null });

    const cancel = await post('cma-cancel-county.xml').expect(201);
    expect(cancel.body).toMatchObject({ disposition: 'cancelled', alertId: r.body.alertId });
    expect((await t.http.get(`/api/alerts/${r.body.alertId}`).set(t.auth(admin)).expect(200)).body.state).toBe(
      'cancelled',
    );
  });

  it('targets the terminals a polygon covers, by their registered coordinates', async () => {
    const inside = county.terminalIds[0][1];
    const outside = county.terminalIds[0][2];
    await t.http
      .patch(`/api/terminals/${inside}`)
      .set(t.auth(admin))
      .send({ latitude: 31.35, longitude: 116.95 })
      .expect(200);
    await t.http
      .patch(`/api/terminals/${outside}`)
      .set(t.auth(admin))
      .send({ latitude: 30.0, longitude: 116.95 })
      .expect(200);
    const r = await post('cma-typhoon-polygon.xml').expect(201);
    expect(r.body).toMatchObject({ disposition: 'held' });
    const alert = await t.http.get(`/api/alerts/${r.body.alertId}`).set(t.auth(admin)).expect(200);
    expect(alert.body).toMatchObject({
      eventType: '11B06',
      severity: 4,
      targets: { areaCodes: [], terminalIds: [inside] },
    });
  });

  it('exports an alert of ours as CAP 1.2 that validates and says what the alert says', async () => {
    const draft = await t.http
      .post('/api/alerts')
      .set(t.auth(officer))
      .send({
        eventType: '11B03',
        severity: 1,
        messageType: 'real',
        title: '暴雨红色预警',
        text: '城关镇将有特大暴雨。',
        targets: { areaCodes: [TOWN] },
        audio: { kind: 'tone', toneId: 'tone-chime' },
        endAt: new Date(Date.now() + 600_000).toISOString(),
      })
      .expect(201);
    const res = await t.http.get(`/api/alerts/${draft.body.id}/cap`).set(t.auth(officer)).expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/cap\+xml/);
    expect(await new CapSchema().validate(res.text)).toEqual({ valid: true, errors: [] });
    const cap = parseCap(res.text);
    expect(cap).toMatchObject({
      sender: t.config.platformResourceCode,
      status: 'Actual',
      msgType: 'Alert',
      scope: 'Public',
    });
    expect(cap.infos[0]).toMatchObject({
      event: '暴雨',
      severity: 'Extreme',
      headline: '暴雨红色预警',
      eventCodes: [{ valueName: 'CN_EventType', value: '11B03' }],
    });
    expect(cap.infos[0].areas[0]).toMatchObject({
      areaDesc: '城关镇',
      geocodes: [{ valueName: 'CN_AreaCode', value: TOWN }],
    });
    // only for those who may see the alert
    await t.http.post('/api/regions').set(t.auth(admin)).send({ code: '341523101000', name: '晓天镇' }).expect(201);
    const viewer = (await t.createUser({ username: 'viewer-cap', roles: ['viewer'], scopes: ['341523101000'] })).token;
    await t.http.get(`/api/alerts/${draft.body.id}/cap`).set(t.auth(viewer)).expect(403);
  });
});

describe('CAP feeds', () => {
  let t: TestApp;
  let server: Server;
  const fetched: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      fetched.push(req.url ?? '');
      if (req.url === '/feed.atom') {
        res
          .writeHead(200, { 'content-type': 'application/atom+xml' })
          .end(
            `<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>预警</title><entry><id>1</id><link type="application/cap+xml" href="/cap/1.xml"/></entry></feed>`,
          );
      } else if (req.url === '/cap/1.xml') {
        res.writeHead(200, { 'content-type': 'application/cap+xml' }).end(sample('cma-rainstorm-county.xml'));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    t = await createTestApp({
      database: 'sqlite',
      env: { DALABA_CAP_FEEDS: `http://127.0.0.1:${port}/feed.atom`, DALABA_CAP_POLL: '3600' },
    });
  });

  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('takes each entry of a polled Atom feed once, validated and recorded like a POSTed message', async () => {
    await t.app.get(CapFeeds).pollAll();
    await t.app.get(CapFeeds).pollAll();
    const admin = await t.adminToken();
    const inbox = await t.http.get('/api/upstream/messages').query({ kind: 'cap' }).set(t.auth(admin)).expect(200);
    // this server has no regions registered: recorded, valid, not acted on
    expect(inbox.body.items).toEqual([
      expect.objectContaining({
        verification: 'valid',
        messageId: '34152341600000,34152341600000_20261206200000',
        disposition: 'ignored',
      }),
    ]);
    expect(fetched.filter((u) => u === '/cap/1.xml')).toHaveLength(1);
  });
});
