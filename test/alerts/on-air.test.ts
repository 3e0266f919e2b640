/**
 * An alert from review to loudspeakers over a simulated county (Modbus TCP, line timing on): approved by someone
 * else, planned with the alert, played on the town's terminals, and the alert ends as its broadcast did.
 */
import { filter, firstValueFrom } from 'rxjs';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { FieldBuses } from '../../src/field/field-buses';
import { AudioService } from '../../src/audio/audio.service';
import { describeWith } from '../support/capabilities';
import { createTestApp, type TestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { registerCounty, TOWN, UNITS, type County } from '../dispatch/county';

// real encoding and a simulated bus at 9,600 baud: a deadline, not a speed goal
jest.setTimeout(90_000);

describeWith(['ffmpeg'], 'alerts on air', () => {
  forEachDatabase('alerts on air over a simulated county', (kind) => {
    let t: TestApp;
    let county: County;
    let officer: string;
    let approver: string;

    beforeAll(async () => {
      t = await createTestApp({ database: kind, env: { DALABA_FIELD: 'on', DALABA_POLL_PAUSE_MS: '500', DALABA_START_LEAD_MS: '800' } });
      const admin = await t.adminToken();
      county = await registerCounty(t, admin);
      await t.app.get(FieldBuses).settled();
      await t.app.get(AudioService).settled('tone-chime');
      officer = (await t.createUser({ username: `officer-${kind}`, roles: ['officer'], scopes: [TOWN] })).token;
      approver = (await t.createUser({ username: `approver-${kind}`, roles: ['approver'], scopes: [TOWN] })).token;
    });

    afterAll(async () => {
      await t?.close();
      await county?.network.stop();
    });

    it('plays an approved alert on the town’s terminals and ends it as its broadcast ended', async () => {
      // as an operator would: the town's terminals are seen online first
      const monitoring = t.app.get(MonitoringService);
      const all = county.terminalIds.flatMap((m) => UNITS.map((u) => m[u]));
      const online = (): boolean => all.every((id) => monitoring.terminal(id)?.online === true);
      if (!online()) await firstValueFrom(monitoring.changes.pipe(filter(() => online())));
      const draft = await t.http.post('/api/alerts').set(t.auth(officer)).send({
        eventType: '11B03', severity: 2, messageType: 'real', title: '暴雨橙色预警', text: '城关镇将有暴雨。',
        targets: { areaCodes: [TOWN] }, audio: { kind: 'tone', toneId: 'tone-chime' }, endAt: new Date(Date.now() + 600_000).toISOString(),
      }).expect(201);
      await t.http.post(`/api/alerts/${draft.body.id}/submit`).set(t.auth(officer)).expect(200);
      const ok = await t.http.post(`/api/alerts/${draft.body.id}/approve`).set(t.auth(approver)).expect(200);
      expect(ok.body).toMatchObject({ state: 'scheduled', terminalCount: 8 });
      await t.app.get(DispatchService).settled(ok.body.broadcastId);
      const report = await t.http.get(`/api/broadcasts/${ok.body.broadcastId}`).set(t.auth(approver)).expect(200);
      expect(report.body).toMatchObject({ alertId: draft.body.id, drill: false, targeted: 8 });
      expect(report.body.coverage.played).toBeGreaterThan(0);
      // the alert ends as its broadcast did, with the count played
      const outcome: Record<string, string> = { completed: 'completed', partial: 'partially-completed', failed: 'failed' };
      const done = await t.http.get(`/api/alerts/${draft.body.id}`).set(t.auth(officer)).expect(200);
      expect(done.body).toMatchObject({ state: outcome[report.body.state as string], outcomeDetail: `${report.body.coverage.played as number}/8 played` });
    });
  });
});
