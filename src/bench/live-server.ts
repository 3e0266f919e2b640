/**
 * The server side of `npm run bench -- live`, run as a child process of src/bench/live.ts: the real AppModule (SQLite
 * in a temporary folder, field off) listening on a free port, the reference county tracked by monitoring, one
 * technician per town; on request it feeds status changes into monitoring at a fixed rate — as the field module would —
 * and reports its own CPU time over the run. Everything downstream (status writer, alarms, the live channel) is the
 * server's real code.
 */
import 'reflect-metadata';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { referenceCounty } from '../../device-drivers/simulator/county-shape';
import { AppModule } from '../app.module';
import { setUpApp } from '../app.setup';
import { AuthService } from '../auth/auth.service';
import { SYSTEM_ACTOR } from '../auth/auth-user';
import { UsersService } from '../auth/users.service';
import { loadConfig } from '../config/config';
import { prepareDataDir } from '../config/data-dir';
import { MonitoringService } from '../monitoring/monitoring.service';
import type { TerminalReading } from '../monitoring/terminal-reading';

export type ServerMessage =
  | { type: 'ready'; port: number; towns: string[]; tokens: string[]; terminals: number }
  | {
      type: 'done';
      changes: number;
      cpuS: number;
      wallS: number;
      rssMb: number;
      loopDelayP99Ms: number;
      loopDelayMaxMs: number;
    };
export type DriverMessage = { type: 'run'; ratePerS: number; seconds: number } | { type: 'stop' };

const PASSWORD = 'bench-password-1';

const reading = (volume: number): TerminalReading => ({
  state: 1,
  priority: 15,
  source: 'none',
  clipId: 0,
  broadcastId: null,
  broadcastClass: 0,
  volume,
  faults: [],
  supplyVoltage: 24,
  temperature: 30,
  signalQuality: 90,
  uptimeSeconds: 1,
  counters: { crcErrors: 0, refusedCommands: 0 },
  lastCommandSequence: 0,
  clock: null,
});

/** The real AppModule on a free port, its data in `dir`, the field off. */
async function startApp(dir: string): Promise<NestExpressApplication> {
  const config = prepareDataDir(
    loadConfig(
      {
        PORT: '0',
        DALABA_DATA_DIR: dir,
        DALABA_FIELD: 'off',
        DALABA_ADMIN_PASSWORD: PASSWORD,
        DALABA_LOG_LEVEL: 'silent',
      },
      [],
    ),
  );
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), { logger: false });
  setUpApp(app);
  await app.listen(0, '127.0.0.1');
  return app;
}

/** Monitoring tracks every gateway (connected) and terminal (read once) of the county; the terminals' ids. */
function trackCounty(monitoring: MonitoringService, shape: ReturnType<typeof referenceCounty>): number[] {
  const now = Date.now();
  const ids: number[] = [];
  let next = 1;
  for (const [i, g] of shape.gateways.entries()) {
    monitoring.trackGateway({ gatewayId: i + 1, areaCode: g.areaCode }, now);
    monitoring.gatewayConnection(i + 1, 'connected', now);
    for (const t of g.terminals) {
      const id = next++;
      monitoring.trackTerminal({ terminalId: id, areaCode: t.areaCode, gatewayId: i + 1 }, now);
      monitoring.readOk(id, reading(50), now);
      ids.push(id);
    }
  }
  return ids;
}

/** One technician per town, scoped to it; their access tokens, in the towns' order. */
async function technicianTokens(app: NestExpressApplication, towns: string[]): Promise<string[]> {
  const users = app.get(UsersService);
  const auth = app.get(AuthService);
  const tokens: string[] = [];
  for (const [i, town] of towns.entries()) {
    await users.create(
      { username: `tech${i}`, password: PASSWORD, roles: ['technician'], scopes: [town] },
      SYSTEM_ACTOR,
    );
    tokens.push((await auth.login(`tech${i}`, PASSWORD, 'bench')).accessToken);
  }
  return tokens;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dalaba-bench-live-'));
  const app = await startApp(dir);
  const port = (app.getHttpServer().address() as { port: number }).port;

  const monitoring = app.get(MonitoringService);
  const shape = referenceCounty();
  const ids = trackCounty(monitoring, shape);
  const towns = shape.areas.filter((a) => a.level === 'town').map((a) => a.areaCode);
  const tokens = await technicianTokens(app, towns);

  let changes = 0;
  monitoring.changes.subscribe(() => changes++);
  const send = (m: ServerMessage): void => void process.send?.(m);
  send({ type: 'ready', port, towns, tokens, terminals: ids.length });

  process.on('message', (m: DriverMessage) => {
    if (m.type === 'stop') {
      void app.close().finally(() => {
        rmSync(dir, { recursive: true, force: true });
        process.exit(0);
      });
      return;
    }
    // a steady stream: every 5 ms, as many changes as the rate owes since the start; every 20th takes a terminal
    // offline (three failed polls) or brings it back, the rest change its volume
    changes = 0;
    const start = Date.now();
    const cpu0 = process.cpuUsage();
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    let fed = 0;
    let cursor = 0;
    const offline = new Set<number>();
    const tick = setInterval(() => {
      const at = Date.now();
      const owed = Math.floor(((at - start) / 1000) * m.ratePerS);
      for (; fed < owed; fed++) {
        const id = ids[cursor];
        cursor = (cursor + 7919) % ids.length;
        if (fed % 20 === 0) {
          if (offline.delete(id)) monitoring.readOk(id, reading(50), at);
          else {
            offline.add(id);
            for (let k = 0; k < 3; k++) monitoring.readFailed(id, 'timeout', at);
          }
        } else if (!offline.has(id)) {
          monitoring.readOk(id, reading(40 + (Math.floor(fed / ids.length) % 50)), at);
        }
      }
      if (at - start >= m.seconds * 1000) {
        clearInterval(tick);
        const cpu = process.cpuUsage(cpu0);
        loop.disable();
        send({
          type: 'done',
          changes,
          cpuS: (cpu.user + cpu.system) / 1e6,
          wallS: (Date.now() - start) / 1000,
          rssMb: Math.round(process.memoryUsage().rss / 2 ** 20),
          loopDelayP99Ms: loop.percentile(99) / 1e6,
          loopDelayMaxMs: loop.max / 1e6,
        });
      }
    }, 5);
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
