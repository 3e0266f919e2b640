import { Module } from '@nestjs/common';
import { ClusterModule } from '../cluster/cluster.module';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import type { AlarmPolicy } from './alarm-book';
import { AlarmRepository } from './alarm.repository';
import { ALARM_POLICY, AlarmsService } from './alarms.service';
import { MonitoringController } from './monitoring.controller';
import { MonitoringService } from './monitoring.service';
import { SharedMonitoring } from './shared-monitoring';
import { SharedStatusRepository } from './shared-status.repository';
import { StatusQueries } from './status-queries.service';
import { StatusWriter } from './status-writer';
import { StatusRepository } from './status.repository';

/** Live status, online rate, alarms and history of terminals and gateways (in a cluster, the whole cluster's). */
@Module({
  imports: [ClusterModule],
  controllers: [MonitoringController],
  providers: [
    MonitoringService,
    StatusRepository,
    StatusWriter,
    StatusQueries,
    SharedStatusRepository,
    SharedMonitoring,
    AlarmRepository,
    {
      provide: ALARM_POLICY,
      inject: [APP_CONFIG],
      useFactory: (c: AppConfig): AlarmPolicy => ({
        raiseAfterMs: 0,
        clearAfterMs: c.monitoring.alarmClearAfterMs,
        remindEveryMs: c.monitoring.alarmRemindEveryMs,
      }),
    },
    AlarmsService,
  ],
  exports: [MonitoringService, AlarmsService, StatusWriter, SharedMonitoring],
})
export class MonitoringModule {}
