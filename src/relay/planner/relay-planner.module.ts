/**
 * The relay on air (docs/relay.md, "Planner" and "Watch"): the planner that turns published schedules into broadcasts
 * of class daily, the as-run recorder that follows them, and the safe-broadcast watch. Apart from RelayModule so that
 * the relay's API does not depend on the dispatch engine.
 */
import { Module } from '@nestjs/common';
import { AlertsRepository } from '../../alerts/alerts.repository';
import { ClusterModule } from '../../cluster/cluster.module';
import { DispatchModule } from '../../dispatch/dispatch.module';
import { FieldModule } from '../../field/field.module';
import { MonitoringModule } from '../../monitoring/monitoring.module';
import { RelayModule } from '../relay.module';
import { RelayRepository } from '../relay.repository';
import { RelayWatch } from '../watch/relay-watch.service';
import { HeldScheduleSync } from '../held/held-sync.service';
import { AsRunRecorder } from './as-run-recorder';
import { RelayPlanner } from './relay-planner.service';
import { SlotRunRepository } from './slot-run.repository';

@Module({
  imports: [RelayModule, ClusterModule, DispatchModule, FieldModule, MonitoringModule],
  providers: [
    AlertsRepository,
    RelayRepository,
    SlotRunRepository,
    AsRunRecorder,
    RelayPlanner,
    RelayWatch,
    HeldScheduleSync,
  ],
  exports: [RelayPlanner, AsRunRecorder, RelayWatch, HeldScheduleSync],
})
export class RelayPlannerModule {}
