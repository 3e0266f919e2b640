/**
 * Starts the server: `node dist/src/main.js` (production, no demo data) or with `--demo` (demo accounts and data).
 * Configuration errors stop the start with the variable's name and exit code 1.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module';
import { setUpApp } from './app.setup';
import { AccountsBootstrap } from './auth/accounts.bootstrap';
import { ConfigError, loadConfig } from './config/config';
import { prepareDataDir } from './config/data-dir';

async function main(): Promise<void> {
  const config = prepareDataDir(loadConfig(process.env, process.argv.slice(2)));
  const app = await NestFactory.create<NestExpressApplication>(AppModule.register(config), { bufferLogs: true });
  setUpApp(app);
  await app.listen(config.port, config.host);
  const url = `http://localhost:${config.port}`;
  console.log(`Dalaba listening on ${url} (database: ${config.database.kind}; data: ${config.dataDir})`);
  console.log(`  health ${url}/health · API docs ${url}/api/docs · metrics ${url}/metrics`);
  const demoPassword = app.get(AccountsBootstrap).demoPassword;
  if (config.demo && demoPassword) {
    console.log(`Demo accounts: admin, officer, approver, technician, viewer — password: ${demoPassword}`);
  }
}

main().catch((e: unknown) => {
  if (e instanceof ConfigError) {
    console.error(`Dalaba cannot start: configuration error — ${e.message}`);
  } else {
    console.error('Dalaba cannot start:', e);
  }
  process.exit(1);
});
