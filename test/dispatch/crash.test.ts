/**
 * Crash safety: the server is closed in the middle of a broadcast (its engine halted where it stands, nothing more
 * written) and a new server on the same database continues every unfinished broadcast from its rows. Before starting a
 * terminal whose start was already sent it reads the terminal: one that plays the broadcast is not started again. The
 * simulated terminals count starts of a broadcast they had started before: none.
 */
import { fork } from 'node:child_process';
import { join } from 'node:path';
import { filter, firstValueFrom } from 'rxjs';
import { Transactions } from '../../src/database/transactions';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { FieldBuses } from '../../src/field/field-buses';
import { createTestApp, type TestApp } from '../support/app';
import { forEachDatabase } from '../support/databases';
import { order, registerCounty, UNITS, type County } from './county';
import type { ChildMessage, ChildStart } from './support/server-child';

jest.setTimeout(120_000);

describe('dispatch crash safety', () => {
  forEachDatabase('a broadcast continued by the next server', (kind) => {
    let t: TestApp;
    let county: County;
    const env = { DALABA_FIELD: 'on', DALABA_POLL_PAUSE_MS: '500', DALABA_START_LEAD_MS: '800' };

    const restart = async (): Promise<DispatchService> => {
      await t.close({ keepDatabase: true });
      t = await createTestApp({ database: kind, db: t.db, env });
      return t.app.get(DispatchService);
    };
    const repeatedStarts = (): number =>
      county.network.gateways.reduce((n, g) => n + (g.bus.deviceCounters().repeatedStarts ?? 0), 0);
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
      const transferring = firstValueFrom(
        dispatch.progress.pipe(filter((p) => p.broadcastId === o.broadcastId && p.counts.transferring > 0)),
      );
      await t.app.get(Transactions).run((tx) => dispatch.plan(o, tx));
      dispatch.launch(o.broadcastId);
      await transferring;
      const next = await restart();
      await next.settled(o.broadcastId);
      const res = await t.http
        .get(`/api/broadcasts/${o.broadcastId}`)
        .set(t.auth(await t.adminToken()))
        .expect(200);
      expect(res.body).toMatchObject({ state: 'completed', counts: { played: 8 } });
      expect(repeatedStarts()).toBe(0);
    });

    it('closed after the start went out, the next server reads the terminals and starts none of them twice', async () => {
      const dispatch = t.app.get(DispatchService);
      const o = order(all(), { repeat: 4 });
      const playing = firstValueFrom(
        dispatch.progress.pipe(filter((p) => p.broadcastId === o.broadcastId && p.counts.playing > 0)),
      );
      await t.app.get(Transactions).run((tx) => dispatch.plan(o, tx));
      dispatch.launch(o.broadcastId);
      await playing;
      const next = await restart();
      await next.settled(o.broadcastId);
      const res = await t.http
        .get(`/api/broadcasts/${o.broadcastId}`)
        .set(t.auth(await t.adminToken()))
        .expect(200);
      expect(res.body).toMatchObject({ state: 'completed', counts: { played: 8 } });
      expect(repeatedStarts()).toBe(0);
    });
    it('killed with SIGKILL in its own process mid-transfer, the broadcast is completed by the next server, none started twice', async () => {
      await t.close({ keepDatabase: true });
      const o = order(all());
      const child = fork(join(__dirname, 'support', 'server-child.ts'), [], {
        execArgv: ['-r', join(__dirname, 'support', 'ts-hook.js')],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      try {
        await new Promise<void>((resolve, reject) => {
          child.on('message', (m: ChildMessage) => {
            if (m.type === 'error') reject(new Error(m.message));
            // the clip is on its way to the terminals: pull the plug
            if (m.type === 'progress' && m.counts.transferring > 0) resolve();
          });
          child.once('exit', (code) =>
            reject(new Error(`the server process exited (${code}) before the transfer began`)),
          );
          const start: ChildStart = {
            db: { kind: t.db.kind, url: t.db.url, dataDir: t.db.dataDir },
            env,
            order: { ...o, startAt: o.startAt.toISOString(), endAt: o.endAt.toISOString() },
          };
          child.send(start);
        });
      } finally {
        child.kill('SIGKILL');
        await exited;
      }
      t = await createTestApp({ database: kind, db: t.db, env });
      const next = t.app.get(DispatchService);
      await next.settled(o.broadcastId);
      const res = await t.http
        .get(`/api/broadcasts/${o.broadcastId}`)
        .set(t.auth(await t.adminToken()))
        .expect(200);
      expect(res.body).toMatchObject({ state: 'completed', counts: { played: 8 } });
      expect(repeatedStarts()).toBe(0);
    });
  });
});
