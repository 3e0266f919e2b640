/**
 * Daily programme relay (日常广播, docs/relay.md): programmes, schedules with review, the day view, the as-run log.
 * Reads the registry through the alerts' repository (targets resolve as alerts' do); publishes its changes on
 * RelayChanges for the live view.
 */
import { Module } from '@nestjs/common';
import { AlertsRepository } from '../alerts/alerts.repository';
import { AudioModule } from '../audio/audio.module';
import { DemoRegistryModule } from '../field/demo-registry.module';
import { RegionsModule } from '../regions/regions.module';
import { AsRunService } from './as-run.service';
import { DayPlanService } from './day-plan.service';
import { DemoRelaySeeder } from './demo-relay.seeder';
import { ProgrammesService } from './programmes.service';
import { ProgrammesController, RelayPlanController, SchedulesController } from './relay.controller';
import { RelayRepository } from './relay.repository';
import { RelayChanges } from './relay-view';
import { SchedulesService } from './schedules.service';
import { WeekService } from './week.service';

@Module({
  // the demo registry first: its seeder has run before the demo relay's (deeper modules start first)
  imports: [AudioModule, RegionsModule, DemoRegistryModule],
  controllers: [ProgrammesController, SchedulesController, RelayPlanController],
  providers: [
    AlertsRepository,
    RelayRepository,
    RelayChanges,
    ProgrammesService,
    SchedulesService,
    DayPlanService,
    AsRunService,
    DemoRelaySeeder,
    WeekService,
  ],
  exports: [RelayChanges, AsRunService, SchedulesService, DayPlanService],
})
export class RelayModule {}
