/**
 * An alert from review to loudspeakers over a simulated county (Modbus TCP, line timing on): approved by someone
 * else, planned with the alert, played on every terminal of the town, and the alert ends completed; a drill plays as a
 * drill; a cancel while it plays stops every terminal.
 */
import { filter, firstValueFrom } from 'rxjs';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { MonitoringService } from '../../src/monitoring/monitoring.service';
import { FieldBuses } from '../../src/field/field-buses';
import { AudioService } from '../../src/audio/audio.service';
import { createTestApp, type TestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { registerCounty, TOWN, UNITS, type County } from '../dispatch/county';

// real encoding and a simulated bus at 9,600 baud: a deadline, not a speed goal
jest.setTimeout(90_000);

describe('alerts on air', () => {
  forEachDatabase('alerts on air over a simulated county', (kind) => {
    let t: TestApp;
    let county: County;
    let officer: string;
    let approver: string;

    beforeAll(async () => {
      t = await createTestApp({
        database: kind,
        env: { DALABA_FIELD: 'on', DALABA_POLL_PAUSE_MS: '500', DALABA_START_LEAD_MS: '800' },
      });
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

    const online = async (): Promise<void> => {
      // as an operator would: the town's terminals are seen online first
      const monitoring = t.app.get(MonitoringService);
      const all = county.terminalIds.flatMap((m) => UNITS.map((u) => m[u]));
      const allOnline = (): boolean => all.every((id) => monitoring.terminal(id)?.online === true);
      if (!allOnline()) await firstValueFrom(monitoring.changes.pipe(filter(() => allOnline())));
    };
    const alert = (over: object = {}) => ({
      eventType: '11B03',
      severity: 2,
      messageType: 'real',
      title: '暴雨橙色预警',
      text: '城关镇将有暴雨。',
      targets: { areaCodes: [TOWN] },
      audio: { kind: 'tone', toneId: 'tone-chime' },
      endAt: new Date(Date.now() + 600_000).toISOString(),
      ...over,
    });
    const approve = async (
      over: object = {},
    ): Promise<{ id: number; broadcastId: string; state: string; terminalCount: number }> => {
      const draft = await t.http.post('/api/alerts').set(t.auth(officer)).send(alert(over)).expect(201);
      await t.http.post(`/api/alerts/${draft.body.id}/submit`).set(t.auth(officer)).expect(200);
      return (await t.http.post(`/api/alerts/${draft.body.id}/approve`).set(t.auth(approver)).expect(200)).body;
    };

    it('plays an approved alert on every terminal of the town and ends it completed', async () => {
      await online();
      const ok = await approve();
      expect(ok).toMatchObject({ state: 'scheduled', terminalCount: 8 });
      await t.app.get(DispatchService).settled(ok.broadcastId);
      const report = await t.http.get(`/api/broadcasts/${ok.broadcastId}`).set(t.auth(approver)).expect(200);
      expect(report.body).toMatchObject({
        alertId: ok.id,
        drill: false,
        targeted: 8,
        state: 'completed',
        coverage: { played: 8, targeted: 8 },
      });
      const done = await t.http.get(`/api/alerts/${ok.id}`).set(t.auth(officer)).expect(200);
      expect(done.body).toMatchObject({ state: 'completed', outcomeDetail: '8/8 played' });
    });

    it('plays a drill as a drill', async () => {
      await online();
      const ok = await approve({ messageType: 'terminalDrill', title: '防汛演练' });
      await t.app.get(DispatchService).settled(ok.broadcastId);
      const report = await t.http.get(`/api/broadcasts/${ok.broadcastId}`).set(t.auth(approver)).expect(200);
      expect(report.body).toMatchObject({ drill: true, state: 'completed' });
      expect((await t.http.get(`/api/alerts/${ok.id}`).set(t.auth(officer)).expect(200)).body).toMatchObject({
        state: 'completed',
        drill: true,
      });
    });

    it('cancels an alert while it plays: every terminal stops and the alert ends cancelled', async () => {
      await online();
      const dispatch = t.app.get(DispatchService);
      let alertId = 0;
      const playing = firstValueFrom(
        dispatch.progress.pipe(filter((p) => p.alertId === alertId && p.counts.playing === 8)),
      );
      const ok = await approve({ repeat: 10 });
      alertId = ok.id;
      await playing;
      const res = await t.http.post(`/api/alerts/${ok.id}/cancel`).set(t.auth(officer)).expect(200);
      expect(res.body).toMatchObject({ state: 'cancelled', cancelRequested: true });
      await dispatch.settled(ok.broadcastId);
      const report = await t.http.get(`/api/broadcasts/${ok.broadcastId}`).set(t.auth(approver)).expect(200);
      expect(report.body).toMatchObject({ state: 'cancelled' });
      expect(report.body.counts.cancelled).toBe(8);
    });
  });
});
