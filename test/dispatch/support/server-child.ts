/**
 * A server in its own process, for the kill -9 test: started on the database the parent names, it plans and launches
 * the broadcast it is given and reports every progress message to the parent, until the parent kills it.
 */
import { NestFactory } from '@nestjs/core';
import { AppModule } from '../../../src/app.module';
import { loadConfig } from '../../../src/config/config';
import { prepareDataDir } from '../../../src/config/data-dir';
import type { DispatchOrder } from '../../../src/dispatch/dispatch-order';
import { DispatchService } from '../../../src/dispatch/dispatch.service';
import { Transactions } from '../../../src/database/transactions';
import { FieldBuses } from '../../../src/field/field-buses';
import type { TestDatabase } from '../../support/databases';

export interface ChildStart {
  db: Omit<TestDatabase, 'drop'>;
  env: Record<string, string>;
  order: Omit<DispatchOrder, 'startAt' | 'endAt'> & { startAt: string; endAt: string };
}

export type ChildMessage =
  { type: 'ready' } | { type: 'progress'; counts: Record<string, number> } | { type: 'error'; message: string };

const send = (m: ChildMessage): void => void process.send?.(m);

process.once('message', (m: ChildStart) => {
  void (async () => {
    // the server as the test harness builds it (test/support/app.ts), without listening: nothing here is asked over HTTP
    const config = prepareDataDir(
      loadConfig({
        PORT: '0',
        DALABA_DATA_DIR: m.db.dataDir,
        DATABASE_URL: m.db.url,
        DALABA_ADMIN_PASSWORD: 'admin-test-password',
        DALABA_LOG_LEVEL: 'silent',
        ...m.env,
      }),
    );
    const app = await NestFactory.create(AppModule.register(config), { logger: false, abortOnError: false });
    await app.init();
    await app.get(FieldBuses).settled();
    const dispatch = app.get(DispatchService);
    const t = { app };
    const order: DispatchOrder = { ...m.order, startAt: new Date(m.order.startAt), endAt: new Date(m.order.endAt) };
    dispatch.progress.subscribe(
      (p) => p.broadcastId === order.broadcastId && send({ type: 'progress', counts: p.counts }),
    );
    await t.app.get(Transactions).run((tx) => dispatch.plan(order, tx));
    send({ type: 'ready' });
    dispatch.launch(order.broadcastId);
  })().catch((e: unknown) => send({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
});
