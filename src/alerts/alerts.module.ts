/**
 * Alerts: composition, review, the one-key emergency path, cancel and expiry. Provides AlertOutcomes (dispatch reports
 * back through it, looking it up lazily) and uses the Dispatcher that DispatchModule provides to plan and launch
 * broadcasts.
 */
import { Module } from '@nestjs/common';
import { AudioModule } from '../audio/audio.module';
import { ClusterModule } from '../cluster/cluster.module';
import { AlertOutcomes } from '../dispatch/dispatch-order';
import { DispatchModule } from '../dispatch/dispatch.module';
import { AlertAudioSource } from './alert-audio';
import { AlertOnAir } from './alert-on-air';
import { AlertOutcomesService } from './alert-outcomes.service';
import { AlertsController } from './alerts.controller';
import { AlertsRepository } from './alerts.repository';
import { AlertsService } from './alerts.service';

@Module({
  imports: [AudioModule, ClusterModule, DispatchModule],
  controllers: [AlertsController],
  providers: [
    AlertsRepository,
    AlertAudioSource,
    AlertOnAir,
    AlertsService,
    AlertOutcomesService,
    { provide: AlertOutcomes, useExisting: AlertOutcomesService },
  ],
  exports: [AlertsService, AlertOutcomes],
})
export class AlertsModule {}
