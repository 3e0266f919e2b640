/**
 * The application, built from a validated config: `AppModule.register(config)`. main.ts and the test harness
 * (test/support/app.ts) both build it this way. Add feature modules to FEATURES.
 */
import { DynamicModule, Module, Type } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AlertsModule } from './alerts/alerts.module';
import { AudioModule } from './audio/audio.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { ClusterModule } from './cluster/cluster.module';
import { ClockModule } from './common/clock.module';
import { ErrorFilter } from './common/error.filter';
import { LoggingModule } from './common/logging';
import type { AppConfig } from './config/config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DispatchModule } from './dispatch/dispatch.module';
import { DemoRegistryModule } from './field/demo-registry.module';
import { FieldModule } from './field/field.module';
import { HealthModule } from './health/health.module';
import { LiveModule } from './live/live.module';
import { MonitoringModule } from './monitoring/monitoring.module';
import { RegionsModule } from './regions/regions.module';
import { RelayPlannerModule } from './relay/planner/relay-planner.module';
import { RelayModule } from './relay/relay.module';
import { SelfTestModule } from './selftest/self-test.module';
import { TerminalsModule } from './terminals/terminals.module';
import { UpstreamModule } from './upstream/upstream.module';

/** Feature modules (regions, terminals, field, monitoring, live, audio, alerts, dispatch, upstream, relay, self-test, cluster). */
const FEATURES: Type[] = [
  RegionsModule,
  TerminalsModule,
  DemoRegistryModule,
  MonitoringModule,
  FieldModule,
  LiveModule,
  AudioModule,
  AlertsModule,
  DispatchModule,
  UpstreamModule,
  RelayModule,
  RelayPlannerModule,
  SelfTestModule,
  ClusterModule,
];

@Module({})
export class AppModule {
  static register(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        ClockModule,
        LoggingModule,
        DatabaseModule,
        AuditModule,
        AuthModule,
        HealthModule,
        ...FEATURES,
      ],
      providers: [{ provide: APP_FILTER, useClass: ErrorFilter }],
    };
  }
}
