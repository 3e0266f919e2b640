/**
 * Upstream: alerts from the municipal or provincial platform (EBD packets, SM2-SM3 signed) and from CAP 1.2 messages
 * and feeds, reported back up through a persistent outbox; the inbox of everything received; CAP export of our alerts.
 */
import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module';
import { AudioModule } from '../audio/audio.module';
import { ClusterModule } from '../cluster/cluster.module';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { DispatchModule } from '../dispatch/dispatch.module';
import { MonitoringModule } from '../monitoring/monitoring.module';
import { AlertCapController } from './alert-cap.controller';
import { CapFeeds } from './cap/cap-feeds';
import { CapSchema } from './cap/cap-schema';
import { CapService } from './cap/cap.service';
import { DemoUpstream, DemoUpstreamController } from './demo-upstream';
import { EbdReceiver } from './ebd-receiver';
import { PacketStore } from './packet-store';
import { UpstreamAlerts } from './upstream-alerts';
import { UpstreamOutbox } from './upstream-outbox';
import { UpstreamReporter } from './upstream-reporter';
import { UpstreamSigning } from './upstream-signing';
import { EbdController, UpstreamController } from './upstream.controllers';
import { UpstreamRepository } from './upstream.repository';
import { UpstreamService } from './upstream.service';

@Module({
  imports: [AlertsModule, AudioModule, ClusterModule, DispatchModule, MonitoringModule],
  controllers: [EbdController, UpstreamController, AlertCapController, DemoUpstreamController],
  providers: [
    { provide: UpstreamSigning, inject: [APP_CONFIG], useFactory: (c: AppConfig) => UpstreamSigning.load(c) },
    UpstreamRepository,
    PacketStore,
    UpstreamOutbox,
    UpstreamAlerts,
    UpstreamReporter,
    EbdReceiver,
    UpstreamService,
    CapSchema,
    CapService,
    CapFeeds,
    DemoUpstream,
  ],
  exports: [UpstreamService],
})
export class UpstreamModule {}
