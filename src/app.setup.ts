/**
 * What every running instance needs on top of the module graph: pino as Nest's logger, security headers and the
 * Socket.IO origin rule (common/http-security.ts), the validation pipe,
 * request metrics, OpenAPI at /api/docs (public), the web console (static files of web/ at /), and graceful shutdown
 * hooks. Used by main.ts and the tests.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { GuardedIoAdapter, securityHeaders } from './common/http-security';
import { operatorLogger } from './common/logging';
import { createValidationPipe } from './common/validation';
import type { AppConfig } from './config/config';
import { APP_CONFIG } from './config/config.module';
import { MetricsService } from './health/metrics.service';
import { RedisLink } from './live/redis-link';

export function setUpApp(app: NestExpressApplication): void {
  app.useLogger(operatorLogger(app.get(Logger)));
  app.disable('x-powered-by');
  app.use(securityHeaders());
  const { allowedOrigins } = app.get<AppConfig>(APP_CONFIG);
  app.useWebSocketAdapter(new GuardedIoAdapter(app, allowedOrigins, app.get(RedisLink).socketOptions()));
  app.useGlobalPipes(createValidationPipe());
  app.use(app.get(MetricsService).middleware());
  serveConsole(app);
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Dalaba (大喇叭)')
      .setDescription('Dispatch controller of a county emergency-broadcast network')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/openapi.json' });
}

/**
 * The console's folder: `web/` at the project root, found by walking up from this file, so it resolves the same from
 * src/ (ts-jest) and from dist/src/ (the build). null when the project was deployed without it.
 */
export function consoleRoot(from: string = __dirname): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'web', 'index.html'))) return join(dir, 'web');
    if (dirname(dir) === dir) return null;
  }
}

/**
 * Serves web/ as static files at `/` (index.html for `/`). Express's static middleware answers only for files that
 * exist and only GET/HEAD, so /api, /api/docs, /health, /metrics and /socket.io pass through untouched. The files are
 * public (the page asks for a login before it calls the API); they are revalidated on every load (ETag).
 */
function serveConsole(app: NestExpressApplication): void {
  const root = consoleRoot();
  if (!root) return;
  app.useStaticAssets(root, { index: 'index.html', maxAge: 0, redirect: false, dotfiles: 'ignore' });
}
