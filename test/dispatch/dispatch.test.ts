/**
 * The dispatch engine over a simulated county (line timing on): a broadcast is planned in a transaction, launched,
 * transferred, started in sync, verified and played through; a dead terminal ends unreachable; the report counts,
 * covers and rolls up by town and village inside the reader's scope; a cancel stops every terminal. Runs on SQLite
 * and on MariaDB when TEST_MYSQL_URL is set. Waits on the engine's own progress stream, never on the clock.
 */
import { filter, firstValueFrom } from 'rxjs';
import { Transactions } from '../../src/database/transactions';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { FieldBuses } from '../../src/field/field-buses';
import { createTestApp, type TestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { order, registerCounty, UNITS, type County } from './county';

jest.setTimeout(90_000);

describe('dispatch', () => {
  forEachDatabase('dispatch over a simulated county', (kind) => {
    let t: TestApp;
    let admin: string;
    let county: County;
    let dispatch: DispatchService;

    const planAndLaunch = async (ids: number[], over = {}): Promise<string> => (await launched(ids, over)).broadcastId;
    const launched = async (ids: number[], over = {}): Promise<ReturnType<typeof order>> => {
      const o = order(ids, over);
      await t.app.get(Transactions).run((tx) => dispatch.plan(o, tx));
      dispatch.launch(o.broadcastId);
      return o;
    };

    beforeAll(async () => {
      t = await createTestApp({
        database: kind,
        env: { DALABA_FIELD: 'on', DALABA_POLL_PAUSE_MS: '500', DALABA_START_LEAD_MS: '800' },
      });
      admin = await t.adminToken();
      county = await registerCounty(t, admin);
      dispatch = t.app.get(DispatchService);
      await t.app.get(FieldBuses).settled();
    });

    afterAll(async () => {
      await t?.close();
      await county?.network.stop();
    });

    it('plays a clip on every live terminal of two buses, a dead one ends unreachable; the report says so', async () => {
      county.network.setFault(1, 3, 'dead');
      const all = county.terminalIds.flatMap((m) => UNITS.map((u) => m[u]));
      const changes: string[] = [];
      const sub = dispatch.progress.subscribe((p) => changes.push(...p.changes.map((c) => c.state)));
      const id = await planAndLaunch(all);
      await dispatch.settled(id);
      sub.unsubscribe();
      county.network.setFault(1, 3, 'none');
      const failed = await t.http
        .get(`/api/broadcasts/${id}/deliveries`)
        .query({ state: 'failed' })
        .set(t.auth(admin))
        .expect(200);
      expect(failed.body.items.map((d: { reason: string }) => d.reason)).toEqual([]);
      expect(changes).toEqual(expect.arrayContaining(['transferring', 'ready', 'playing', 'played']));
      // the live terminals are played when their play ends, not when the dead one's transfer retries have run out
      expect(changes.indexOf('played')).toBeLessThan(changes.indexOf('unreachable'));

      const res = await t.http.get(`/api/broadcasts/${id}`).set(t.auth(admin)).expect(200);
      expect(res.body).toMatchObject({ broadcastId: id, state: 'partial', drill: false, targeted: 8 });
      expect(res.body.counts).toMatchObject({ played: 7, unreachable: 1 });
      expect(res.body.coverage).toMatchObject({ played: 7, targeted: 8, percent: 87.5 });
      expect(res.body.byVillage.map((v: { areaCode: string }) => v.areaCode)).toEqual(county.villages);
      expect(res.body.byTown).toHaveLength(1);

      const dead = await t.http
        .get(`/api/broadcasts/${id}/deliveries`)
        .query({ state: 'unreachable' })
        .set(t.auth(admin))
        .expect(200);
      expect(dead.body.items.map((d: { terminalId: number }) => d.terminalId)).toEqual([county.terminalIds[1][3]]);
      expect(dead.body.items[0].reason).toBeTruthy();

      const csv = await t.http
        .get(`/api/broadcasts/${id}/report`)
        .query({ format: 'csv' })
        .set(t.auth(admin))
        .expect(200);
      expect(csv.text.split('\n')[0]).toContain('终端编号');
      expect(csv.text).toContain('已播放');
      expect(csv.text).toContain('不可达');
      await t.http.get(`/api/broadcasts/${id}/report`).query({ format: 'xlsx' }).set(t.auth(admin)).expect(200);

      const viewer = (
        await t.createUser({ username: `viewer-${kind}`, roles: ['viewer'], scopes: [county.villages[0]] })
      ).token;
      const scoped = await t.http.get(`/api/broadcasts/${id}`).set(t.auth(viewer)).expect(200);
      expect(scoped.body.coverage).toMatchObject({ played: 4, targeted: 4 });
      const list = await t.http.get('/api/broadcasts').set(t.auth(viewer)).expect(200);
      expect(list.body.items.map((b: { broadcastId: string }) => b.broadcastId)).toContain(id);
    });

    it('marks a drill as a drill in the report', async () => {
      const id = await planAndLaunch([county.terminalIds[0][1]], {
        messageType: 'platformDrill',
        broadcastClass: 1,
        priority: 5,
        emergency: false,
      });
      await dispatch.settled(id);
      const res = await t.http.get(`/api/broadcasts/${id}`).set(t.auth(admin)).expect(200);
      expect(res.body).toMatchObject({ drill: true, state: 'completed' });
      const csv = await t.http.get(`/api/broadcasts/${id}/report`).set(t.auth(admin)).expect(200);
      expect(csv.text).toContain('演练');
    });

    it('an emergency preempts a daily broadcast, records what it interrupted, and the daily one resumes after it', async () => {
      const ids = UNITS.map((u) => county.terminalIds[1][u]);
      const daily = await launched(ids, {
        messageType: 'real',
        broadcastClass: 5,
        priority: 6,
        emergency: false,
        repeat: 60,
      });
      const dailyStates: string[] = [];
      const sub = dispatch.progress
        .pipe(filter((p) => p.broadcastId === daily.broadcastId))
        .subscribe((p) => dailyStates.push(...p.changes.map((c) => c.state)));
      await firstValueFrom(
        dispatch.progress.pipe(filter((p) => p.broadcastId === daily.broadcastId && p.counts.playing === ids.length)),
      );
      const resumed = firstValueFrom(
        dispatch.progress.pipe(
          filter(
            (p) =>
              p.broadcastId === daily.broadcastId &&
              p.counts.playing === ids.length &&
              p.counts.preempted === 0 &&
              dailyStates.includes('preempted'),
          ),
        ),
      );
      const urgent = await planAndLaunch(ids, { priority: 1, severity: 1 });
      await dispatch.settled(urgent);
      await resumed;
      sub.unsubscribe();
      expect(dailyStates.filter((s) => s === 'preempted')).toHaveLength(ids.length);
      const res = await t.http.get(`/api/broadcasts/${urgent}/deliveries`).set(t.auth(admin)).expect(200);
      for (const d of res.body.items)
        expect(d).toMatchObject({ state: 'played', preemptedBroadcastId: daily.broadcastId, preemptedPriority: 6 });
      await dispatch.cancel(daily.alertId, 1);
      const counters = county.network.gateways[1].bus.deviceCounters();
      expect(counters.repeatedStarts).toBe(0);
    });

    it('cancels a playing broadcast: every terminal stops, the deliveries and the report say cancelled', async () => {
      const ids = UNITS.map((u) => county.terminalIds[0][u]);
      const o = await launched(ids, { repeat: 50 });
      const id = o.broadcastId;
      await firstValueFrom(
        dispatch.progress.pipe(filter((p) => p.broadcastId === id && p.counts.playing === ids.length)),
      );
      const field = t.app.get(FieldBuses);
      await dispatch.cancel(o.alertId, 1);
      await dispatch.settled(id);
      for (const tid of ids) expect((await field.readStatus(tid)).broadcastId).toBeNull();
      const res = await t.http.get(`/api/broadcasts/${id}`).set(t.auth(admin)).expect(200);
      expect(res.body).toMatchObject({ state: 'cancelled', cancelled: true });
      expect(res.body.counts.cancelled).toBe(ids.length);
    });

    it('reads each terminal when its play should end: one that restarted meanwhile did not play it through', async () => {
      const ids = UNITS.map((u) => county.terminalIds[1][u]);
      const o = await launched(ids, { repeat: 3 });
      await firstValueFrom(
        dispatch.progress.pipe(filter((p) => p.broadcastId === o.broadcastId && p.counts.playing === ids.length)),
      );
      // a power cut and its return: the terminal boots again, silent
      county.network.setFault(1, 2, 'power-loss');
      county.network.setFault(1, 2, 'none');
      await dispatch.settled(o.broadcastId);
      const res = await t.http.get(`/api/broadcasts/${o.broadcastId}/deliveries`).set(t.auth(admin)).expect(200);
      const byTerminal = new Map(
        res.body.items.map((d: { terminalId: number; state: string; reason: string | null }) => [d.terminalId, d]),
      );
      expect(byTerminal.get(county.terminalIds[1][2])).toMatchObject({
        state: 'failed',
        reason: expect.stringMatching(/^restarted during the play: up \d+ s at its end/),
      });
      for (const u of [1, 3, 4])
        expect(byTerminal.get(county.terminalIds[1][u])).toMatchObject({ state: 'played', reason: null });
    });
  });
});
