/**
 * Starts the server: `node dist/src/main.js` (production, no demo data) or with `--demo` (demo accounts and data).
 * Configuration errors stop the start with the variable's name and exit code 1.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { setUpApp } from './app.setup';
import { prettyLogs } from './common/logging';
import { loadConfig } from './config/config';
import { ConfigError } from './config/env-values';
import { prepareDataDir } from './config/data-dir';
import { startFacts, startSummary } from './start-summary';

async function main(): Promise<void> {
  const config = prepareDataDir(loadConfig(process.env, process.argv.slice(2)));
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), { bufferLogs: true });
  setUpApp(app);
  await app.listen(config.port, config.host);
  const url = `http://localhost:${config.port}`;
  const summary = startSummary(await startFacts(app, config, url));
  // readable block for a person at a terminal; one log line (JSON) for a collector
  if (prettyLogs(config.logFormat)) console.log(['', ...summary, ''].join('\n'));
  else new Logger('Start').log(summary.join('\n'));
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    console.error(`Dalaba cannot start: configuration error — ${e.message}`);
  } else {
    console.error('Dalaba cannot start:', e);
  }
  process.exit(1);
});
