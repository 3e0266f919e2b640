/**
 * One instance of a cluster in its own process, for the kill -9 and SIGSTOP tests (test/cluster/cluster-failover.test.ts):
 * started on the database and data folder the parent names, with the cluster's environment; it tells the parent the
 * buses it holds and the terminals it sees online whenever either changes, and every progress of a broadcast it runs,
 * until the parent kills it.
 */
import { NestFactory } from '@nestjs/core';
import { merge } from 'rxjs';
import { AppModule } from '../../../src/app.module';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { setUpApp } from '../../../src/app.setup';
import { LeaseManager } from '../../../src/cluster/lease-manager';
import { loadConfig } from '../../../src/config/config';
import { prepareDataDir } from '../../../src/config/data-dir';
import { DispatchService } from '../../../src/dispatch/dispatch.service';
import { MonitoringService } from '../../../src/monitoring/monitoring.service';

export interface InstanceStart {
  url: string;
  dataDir: string;
  env: Record<string, string>;
}

export type InstanceMessage =
  | { type: 'status'; buses: number[]; online: number[] }
  | {
      type: 'progress';
      broadcastId: string;
      state: string;
      counts: Record<string, number>;
      terminals: number[];
      /** When the changes were published (ms): a message sent just before a SIGSTOP may arrive after the SIGCONT. */
      at: number;
    }
  | { type: 'error'; message: string };

const send = (m: InstanceMessage): void => void process.send?.(m);

process.once('message', (m: InstanceStart) => {
  void (async () => {
    const config = prepareDataDir(
      loadConfig({
        PORT: '0',
        DALABA_DATA_DIR: m.dataDir,
        DATABASE_URL: m.url,
        DALABA_ADMIN_PASSWORD: 'admin-test-password',
        DALABA_LOG_LEVEL: 'silent',
        ...m.env,
      }),
    );
    const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), {
      logger: false,
      abortOnError: false,
    });
    setUpApp(app);
    // a server as in production, listening (on a free port of the loopback): its /live joins the others' through Redis
    await app.listen(0, '127.0.0.1');
    const leases = app.get(LeaseManager);
    const monitoring = app.get(MonitoringService);
    let last = '';
    const status = (): void => {
      const buses = leases
        .heldKeys()
        .filter((k) => k.startsWith('bus:'))
        .map((k) => Number(k.slice(4)));
      const online = [...monitoring.terminals()].filter((t) => t.online).map((t) => t.terminalId);
      const key = `${buses.join()}|${online.join()}`;
      if (key === last) return;
      last = key;
      send({ type: 'status', buses, online });
    };
    merge(leases.events, monitoring.changes).subscribe(() => status());
    status();
    app.get(DispatchService).progress.subscribe((p) =>
      send({
        type: 'progress',
        broadcastId: p.broadcastId,
        state: p.state,
        counts: p.counts,
        terminals: p.changes.map((c) => c.terminalId),
        at: Date.now(),
      }),
    );
  })().catch((e: unknown) => send({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }));
});
