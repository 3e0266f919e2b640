/**
 * What every running instance needs on top of the module graph: pino as Nest's logger, the validation pipe,
 * request metrics, OpenAPI at /api/docs (public), and graceful shutdown hooks. Used by main.ts and the tests.
 */
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { createValidationPipe } from './common/validation';
import { MetricsService } from './health/metrics.service';

export function setUpApp(app: NestExpressApplication): void {
  app.useLogger(app.get(Logger));
  app.disable('x-powered-by');
  app.useGlobalPipes(createValidationPipe());
  app.use(app.get(MetricsService).middleware());
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
