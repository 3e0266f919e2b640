/**
 * EBD from the simulated province to a simulated county and back: a signed EBM becomes an alert dispatched at once as
 * the province's decision (its EBMID the broadcast id), and the province receives a signed EBMStateResponse with the
 * coverage; a Ⅲ waits for a local approver; cancels act on the alert named; a forged signature gets EBDResponse 4 and
 * changes nothing, a replay and a stale packet are refused, an out-of-county one is not acted on; everything
 * received is in the inbox as received. Runs on SQLite and on MariaDB when TEST_MYSQL_URL is set.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { generateKeyPair, sign } from '../../firmware-protocols/signing';
import { AudioService } from '../../src/audio/audio.service';
import { FieldBuses } from '../../src/field/field-buses';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import type { UpstreamSimulator } from '../../src/upstream/upstream-simulator';
import { COUNTY, registerCounty, TOWN, UNITS, type County } from '../dispatch/county';
import { createTestApp, type TestApp } from '../support/app';
import { makeMp3 } from '../audio/media';
import { forEachDatabase } from '../support/databases';
import { connectProvince } from './support';

jest.setTimeout(120_000);

describe('EBD from the province', () => {
  forEachDatabase('EBD from the province to a simulated county', (kind) => {
    let t: TestApp;
    let county: County;
    let admin: string;
    let sim: UpstreamSimulator;

    const alertsNow = async (): Promise<
      { id: number; state: string; upstreamId: string | null; broadcastId: string | null; source: string | null }[]
    > => (await t.http.get('/api/alerts').query({ pageSize: 100 }).set(t.auth(admin)).expect(200)).body.items;
    const inbox = async (): Promise<
      {
        id: number;
        verification: string;
        disposition: string;
        resultCode: number;
        alertId: number | null;
        dispositionDetail: string | null;
      }[]
    > => (await t.http.get('/api/upstream/messages').set(t.auth(admin)).expect(200)).body.items;

    beforeAll(async () => {
      t = await createTestApp({
        database: kind,
        env: {
          DALABA_FIELD: 'on',
          DALABA_POLL_PAUSE_MS: '500',
          DALABA_START_LEAD_MS: '800',
          DALABA_UPSTREAM_HEARTBEAT: '0',
          DALABA_UPSTREAM_STATUS_EVERY: '0',
        },
      });
      admin = await t.adminToken();
      county = await registerCounty(t, admin);
      await t.app.get(FieldBuses).settled();
      ({ sim } = await connectProvince(t, admin, { dispatchSeverities: [1, 2] }));
      const monitoring = t.app.get(MonitoringService);
      const all = county.terminalIds.flatMap((m) => UNITS.map((u) => m[u]));
      const allOnline = (): boolean => all.every((id) => monitoring.terminal(id)?.online === true);
      if (!allOnline()) await firstValueFrom(monitoring.changes.pipe(filter(() => allOnline())));
    });

    afterAll(async () => {
      await t?.close();
      await sim?.stop();
      await county?.network.stop();
    });

    it('dispatches a Ⅰ at once as the province decided, keeps its EBMID on air, and reports the coverage up, signed', async () => {
      const since = sim.reports.length;
      const sent = await sim.sendEbm({
        severity: 1,
        areaCodes: [TOWN],
        title: '暴雨红色预警',
        description: '城关镇将有特大暴雨，请立即转移。',
      });
      expect(sent).toMatchObject({ status: 200, responseVerified: true, response: { resultCode: 1 } });
      const alert = (await alertsNow()).find((a) => a.upstreamId === sent.ebmId);
      expect(alert).toMatchObject({ source: 'ebd', broadcastId: sent.ebmId });

      const done = await sim.nextReport(
        'EBMStateResponse',
        (r) => r.packet?.payload.type === 'EBMStateResponse' && r.packet.payload.state.brdStateCode === 3,
        since,
      );
      expect(done.verified).toBe(true);
      if (done.packet?.payload.type !== 'EBMStateResponse') throw new Error('not a state response');
      expect(done.packet.payload.state).toMatchObject({
        ebmId: sent.ebmId,
        coverage: { played: 8, targeted: 8, rate: 1, areaCodes: [TOWN] },
      });
      expect(done.packet.header).toMatchObject({ srcEbrId: t.config.platformResourceCode, destEbrId: sim.ebrId });
      expect(done.packet.header.ebdId).toMatch(new RegExp(`^10${t.config.platformResourceCode}\\d{16}$`));

      const broadcast = await t.http.get(`/api/broadcasts/${sent.ebmId}`).set(t.auth(admin)).expect(200);
      expect(broadcast.body.coverage).toMatchObject({ played: 8, targeted: 8 });
      const history = await t.http
        .get('/api/audit')
        .query({ entityType: 'alert', entityId: String(alert?.id) })
        .set(t.auth(admin))
        .expect(200);
      expect(history.body.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ action: 'alert.upstream_dispatch', actorName: `upstream:${sim.name}` }),
        ]),
      );
      const revisions = (await t.http.get(`/api/alerts/${alert?.id}`).set(t.auth(admin)).expect(200)).body.revisions;
      expect(revisions.map((r: { action: string; userName: string }) => `${r.action} ${r.userName}`)).toEqual(
        ['created', 'submitted', 'approved'].map((a) => `${a} upstream:${sim.name}`),
      );

      const row = (await inbox()).find((m) => m.alertId === alert?.id);
      expect(row).toMatchObject({ verification: 'verified', disposition: 'dispatched', resultCode: 1 });
      const detail = await t.http.get(`/api/upstream/messages/${row?.id}`).set(t.auth(admin)).expect(200);
      expect(detail.body.alert).toMatchObject({ id: alert?.id, broadcastId: sent.ebmId });
      expect(detail.body.reports.map((r: { ebdType: string }) => r.ebdType)).toContain('EBMStateResponse');
    });

    it('holds a Ⅲ for a local approver, tells the province it waits, and airs it under its EBMID once approved', async () => {
      const since = sim.reports.length;
      const sent = await sim.sendEbm({ severity: 3, eventType: '11B03', areaCodes: [TOWN], title: '暴雨黄色预警' });
      expect(sent.response).toMatchObject({ resultCode: 1 });
      const held = (await alertsNow()).find((a) => a.upstreamId === sent.ebmId);
      expect(held).toMatchObject({ state: 'submitted', broadcastId: null });
      const waiting = await sim.nextReport(
        'EBMStateResponse',
        (r) => r.packet?.payload.type === 'EBMStateResponse' && r.packet.payload.state.ebmId === sent.ebmId,
        since,
      );
      expect(waiting.packet?.payload).toMatchObject({ state: { brdStateCode: 1 } });

      const approver = (await t.createUser({ username: `approver-ebd-${kind}`, roles: ['approver'], scopes: [COUNTY] }))
        .token;
      const clipId = (await t.http.get(`/api/alerts/${held?.id}`).set(t.auth(admin)).expect(200)).body.clipId as string;
      await t.app.get(AudioService).settled(clipId);
      const approved = await t.http.post(`/api/alerts/${held?.id}/approve`).set(t.auth(approver)).expect(200);
      expect(approved.body.broadcastId).toBe(sent.ebmId);
      // the province's cancel names it; it stops everywhere
      const cancel = await sim.sendEbm({ msgType: 2, relatedEbmId: sent.ebmId, title: '解除' });
      expect(cancel.response).toMatchObject({ resultCode: 1 });
      const cancelled = await sim.nextReport(
        'EBMStateResponse',
        (r) =>
          r.packet?.payload.type === 'EBMStateResponse' &&
          r.packet.payload.state.ebmId === sent.ebmId &&
          r.packet.payload.state.brdStateCode === 5,
        since,
      );
      expect(cancelled.verified).toBe(true);
      expect((await alertsNow()).find((a) => a.id === held?.id)?.state).toBe('cancelled');
    });

    it("takes the audio file the EBM attaches (EBDR_) into the library as the alert's clip", async () => {
      const dir = mkdtempSync(join(tmpdir(), 'dalaba-ebdr-'));
      await makeMp3(join(dir, 'a.mp3'), 2);
      const body = readFileSync(join(dir, 'a.mp3'));
      rmSync(dir, { recursive: true, force: true });
      const sent = await sim.sendEbm(
        { severity: 4, eventType: '11B03', areaCodes: [TOWN], title: '暴雨蓝色预警' },
        { name: `EBDR_${sim.ebrId}_01.mp3`, body },
      );
      expect(sent.response).toMatchObject({ resultCode: 1 });
      const alert = (await alertsNow()).find((a) => a.upstreamId === sent.ebmId);
      const detail = await t.http.get(`/api/alerts/${alert?.id}`).set(t.auth(admin)).expect(200);
      expect(detail.body).toMatchObject({ state: 'submitted', audio: { kind: 'clip' } });
      const clip = await t.app.get(AudioService).settled(detail.body.clipId as string);
      expect(clip).toMatchObject({ state: 'ready', kind: 'upload' });
      // an EBM naming a file the archive does not hold is a content error
      const missing = await sim.sendEbm({
        severity: 4,
        areaCodes: [TOWN],
        auxiliary: { type: '2', fileName: 'EBDR_none.mp3', size: null, digest: null },
      });
      expect(missing.response).toMatchObject({ resultCode: 3 });
    });

    it('answers a forged signature with EBDResponse 4 and changes nothing', async () => {
      const before = { alerts: (await alertsNow()).length };
      const forger = generateKeyPair();
      const sealed = await sim.seal(
        { type: 'EBM', ebm: sim.ebm({ areaCodes: [TOWN], title: '伪造预警' }) },
        { signer: { certSn: sim.certSn, sign: (d) => sign(d, forger.privateKey) } },
      );
      const answer = await sim.post(sealed.tar, sealed.fileName);
      expect(answer).toMatchObject({ status: 200, responseVerified: true, response: { resultCode: 4 } });
      expect((await alertsNow()).length).toBe(before.alerts);
      expect((await inbox())[0]).toMatchObject({
        verification: 'bad-signature',
        disposition: 'refused',
        resultCode: 4,
        alertId: null,
      });

      // a body altered after signing is the same thing
      const good = await sim.seal({ type: 'EBM', ebm: sim.ebm({ areaCodes: [TOWN], title: '篡改预警' }) });
      const tampered = Buffer.from(good.tar);
      tampered[good.tar.indexOf(Buffer.from('篡改预警')) + 5] ^= 0x01;
      expect((await sim.post(tampered, good.fileName)).response).toMatchObject({ resultCode: 4 });
      // a certificate nobody registered
      const stranger = await sim.seal(
        { type: 'EBM', ebm: sim.ebm({ areaCodes: [TOWN] }) },
        { signer: { certSn: '123456789012', sign: (d) => sign(d, forger.privateKey) } },
      );
      expect((await sim.post(stranger.tar, stranger.fileName)).response).toMatchObject({ resultCode: 4 });
      expect((await inbox())[0]).toMatchObject({ verification: 'unknown-sender' });
      expect((await alertsNow()).length).toBe(before.alerts);
    });

    it('refuses a replay, a stale packet and one addressed elsewhere; does not act on areas outside the county', async () => {
      const before = (await alertsNow()).length;
      const sealed = await sim.seal({
        type: 'EBM',
        ebm: sim.ebm({ areaCodes: ['110101000000'], title: '北京东城区预警' }),
      });
      expect((await sim.post(sealed.tar, sealed.fileName)).response).toMatchObject({ resultCode: 5 });
      expect((await inbox())[0]).toMatchObject({ verification: 'verified', disposition: 'ignored' });
      const replay = await sim.post(sealed.tar, sealed.fileName);
      expect(replay.response).toMatchObject({ resultCode: 5, resultDesc: expect.stringContaining('received before') });
      expect((await inbox())[0]).toMatchObject({ verification: 'replayed' });

      const stale = await sim.seal(
        { type: 'EBM', ebm: sim.ebm({ areaCodes: [TOWN] }) },
        { time: new Date(Date.now() - 3600_000) },
      );
      expect((await sim.post(stale.tar, stale.fileName)).response).toMatchObject({
        resultCode: 5,
        resultDesc: expect.stringContaining('old'),
      });
      const elsewhere = await sim.seal(
        { type: 'EBM', ebm: sim.ebm({ areaCodes: [TOWN] }) },
        { destEbrId: '43415240000000101010101' },
      );
      expect((await sim.post(elsewhere.tar, elsewhere.fileName)).response).toMatchObject({ resultCode: 5 });
      expect((await inbox())[0]).toMatchObject({ verification: 'out-of-scope' });
      expect((await alertsNow()).length).toBe(before);
    });

    it('answers what is not a tar with 2, and keeps every packet exactly as received', async () => {
      const junk = await sim.post(Buffer.from('not a tar at all'), 'EBDT_1.tar');
      expect(junk.response).toMatchObject({ resultCode: 2 });
      const [row] = await inbox();
      expect(row.verification).toBe('malformed');
      const raw = await t.http
        .get(`/api/upstream/messages/${row.id}/raw`)
        .set(t.auth(admin))
        .buffer(true)
        .parse((res, cb) => {
          const parts: Buffer[] = [];
          res.on('data', (c: Buffer) => parts.push(c));
          res.on('end', () => cb(null, Buffer.concat(parts)));
        });
      expect((raw.body as Buffer).toString()).toBe('not a tar at all');
    });

    it('sends the broadcast log when the province asks for it (OMDRequest)', async () => {
      const since = sim.reports.length;
      const sealed = await sim.seal({
        type: 'OMDRequest',
        request: { omdType: 'EBMBrdLog', from: new Date(Date.now() - 3600_000), to: new Date(Date.now() + 60_000) },
      });
      expect((await sim.post(sealed.tar, sealed.fileName)).response).toMatchObject({ resultCode: 1 });
      const log = await sim.nextReport('EBMBrdLog', () => true, since);
      expect(log.verified).toBe(true);
      if (log.packet?.payload.type !== 'EBMBrdLog') throw new Error('not a log');
      expect(log.packet.payload.log.entries.length).toBeGreaterThanOrEqual(2);
      expect(log.packet.payload.log.entries[0]).toMatchObject({
        brdStateCode: 3,
        coverage: { played: 8, targeted: 8 },
      });
    });
  });
});
