/**
 * Dispatch: broadcasts and their deliveries, the engine that puts them on the wire, and their reports. Provides the
 * Dispatcher contract (dispatch-order.ts) to the alerts module, which imports this one; the alerts module's
 * AlertOutcomes is looked up lazily (ModuleRef), since this module cannot import it back.
 */
import { Module } from '@nestjs/common';
import { AudioModule } from '../audio/audio.module';
import { ClusterModule } from '../cluster/cluster.module';
import { FieldModule } from '../field/field.module';
import { MonitoringModule } from '../monitoring/monitoring.module';
import { BroadcastReportsService } from './broadcast-reports.service';
import { BroadcastsController } from './broadcasts.controller';
import { Dispatcher } from './dispatch-order';
import { DispatchRepository } from './dispatch.repository';
import { DeliveryStartsInDoubt } from './starts-in-doubt';
import { DispatchService } from './dispatch.service';
import { ClipVariants } from './clip-variants';
import { ToneProvisioning } from './tone-provisioning';
import { ToneProvisioningController } from './tone-provisioning.controller';

@Module({
  imports: [ClusterModule, FieldModule, AudioModule, MonitoringModule],
  controllers: [BroadcastsController, ToneProvisioningController],
  providers: [
    DispatchRepository,
    ClipVariants,
    ToneProvisioning,
    DispatchService,
    { provide: Dispatcher, useExisting: DispatchService },
    BroadcastReportsService,
    DeliveryStartsInDoubt,
  ],
  exports: [Dispatcher, DispatchService, BroadcastReportsService, ToneProvisioning],
})
export class DispatchModule {}
