/**
 * Crash safety: the server is closed in the middle of a broadcast (its engine halted where it stands, nothing more
 * written) and a new server on the same database continues every unfinished broadcast from its rows. Before starting a
 * terminal whose start was already sent it reads the terminal: one that plays the broadcast is not started again. The
 * simulated terminals count starts of a broadcast they had started before: none.
 */
import { filter, firstValueFrom } from 'rxjs';
import { Transactions } from '../../src/database/transactions';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { FieldBuses } from '../../src/field/field-buses';
import { describeWith } from '../support/capabilities';
import { createTestApp, type TestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { order, registerCounty, UNITS, type County } from './county';

jest.setTimeout(120_000);

describeWith(['ffmpeg'], 'dispatch crash safety', () => {
  forEachDatabase('a broadcast continued by the next server', (kind) => {
    let t: TestApp;
    let county: County;
    const env = { DALABA_FIELD: 'on', DALABA_POLL_PAUSE_MS: '500', DALABA_START_LEAD_MS: '800' };

    const restart = async (): Promise<DispatchService> => {
      await t.close({ keepDatabase: true });
      t = await createTestApp({ database: kind, db: t.db, env });
      return t.app.get(DispatchService);
    };
    const repeatedStarts = (): number => county.network.gateways.reduce((n, g) => n + (g.bus.deviceCounters().repeatedStarts ?? 0), 0);
    const all = (): number[] => county.terminalIds.flatMap((m) => UNITS.map((u) => m[u]));

    beforeAll(async () => {
      t = await createTestApp({ database: kind, env });
      county = await registerCounty(t, await t.adminToken());
      await t.app.get(FieldBuses).settled();
    });

    afterAll(async () => {
      await t?.close();
      await t?.db.drop();
      await county?.network.stop();
    });

    it('closed in the middle of the clip transfer, the next server transfers, starts and completes it', async () => {
      const dispatch = t.app.get(DispatchService);
      const o = order(all());
      const transferring = firstValueFrom(dispatch.progress.pipe(filter((p) => p.broadcastId === o.broadcastId && p.counts.transferring > 0)));
      await t.app.get(Transactions).run((tx) => dispatch.plan(o, tx));
      dispatch.launch(o.broadcastId);
      await transferring;
      const next = await restart();
      await next.settled(o.broadcastId);
      const res = await t.http.get(`/api/broadcasts/${o.broadcastId}`).set(t.auth(await t.adminToken())).expect(200);
      expect(res.body).toMatchObject({ state: 'completed', counts: { played: 8 } });
      expect(repeatedStarts()).toBe(0);
    });

    it('closed after the start went out, the next server reads the terminals and starts none of them twice', async () => {
      const dispatch = t.app.get(DispatchService);
      const o = order(all(), { repeat: 4 });
      const playing = firstValueFrom(dispatch.progress.pipe(filter((p) => p.broadcastId === o.broadcastId && p.counts.playing > 0)));
      await t.app.get(Transactions).run((tx) => dispatch.plan(o, tx));
      dispatch.launch(o.broadcastId);
      await playing;
      const next = await restart();
      await next.settled(o.broadcastId);
      const res = await t.http.get(`/api/broadcasts/${o.broadcastId}`).set(t.auth(await t.adminToken())).expect(200);
      expect(res.body).toMatchObject({ state: 'completed', counts: { played: 8 } });
      expect(repeatedStarts()).toBe(0);
    });
  });
});
