/**
 * DALABA_EQUAL_PRIORITY=first-wins: a broadcast of the same priority as the one a terminal plays does not take it over;
 * its deliveries there fail with the reason, and the one playing goes on.
 */
import { filter, firstValueFrom } from 'rxjs';
import { Transactions } from '../../src/database/transactions';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { FieldBuses } from '../../src/field/field-buses';
import { createTestApp, type TestApp } from '../support/app';
import { order, registerCounty, UNITS, type County } from './county';

jest.setTimeout(90_000);

describe('equal priority, first-wins', () => {
  let t: TestApp;
  let county: County;
  let dispatch: DispatchService;

  beforeAll(async () => {
    t = await createTestApp({
      database: 'sqlite',
      env: {
        DALABA_FIELD: 'on',
        DALABA_POLL_PAUSE_MS: '500',
        DALABA_START_LEAD_MS: '800',
        DALABA_EQUAL_PRIORITY: 'first-wins',
      },
    });
    county = await registerCounty(t, await t.adminToken());
    dispatch = t.app.get(DispatchService);
    await t.app.get(FieldBuses).settled();
  });

  afterAll(async () => {
    await t?.close();
    await county?.network.stop();
  });

  it('keeps the terminal for the broadcast that plays; the newer one fails there with the reason', async () => {
    const ids = UNITS.map((u) => county.terminalIds[0][u]);
    const daily = { messageType: 'real' as const, broadcastClass: 5 as const, priority: 6, emergency: false };
    const first = order(ids, { ...daily, repeat: 60 });
    const playing = firstValueFrom(
      dispatch.progress.pipe(
        filter(
          (p) =>
            p.broadcastId === first.broadcastId &&
            p.counts.playing + p.counts.failed + p.counts.unreachable === ids.length,
        ),
      ),
    );
    await t.app.get(Transactions).run((tx) => dispatch.plan(first, tx));
    dispatch.launch(first.broadcastId);
    const firstCounts = (await playing).counts;
    expect(firstCounts.playing).toBeGreaterThan(0);

    const second = order(ids, daily);
    await t.app.get(Transactions).run((tx) => dispatch.plan(second, tx));
    dispatch.launch(second.broadcastId);
    await dispatch.settled(second.broadcastId);
    const res = await t.http
      .get(`/api/broadcasts/${second.broadcastId}/deliveries`)
      .query({ state: 'failed' })
      .set(t.auth(await t.adminToken()))
      .expect(200);
    expect(res.body.total).toBe(firstCounts.playing);
    for (const d of res.body.items) expect(d.reason).toContain('first-wins');
    const still = await t.http
      .get(`/api/broadcasts/${first.broadcastId}`)
      .set(t.auth(await t.adminToken()))
      .expect(200);
    expect(still.body.counts.playing).toBe(firstCounts.playing);
    await dispatch.cancel(first.alertId, 1);
  });
});
