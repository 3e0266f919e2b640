import { Module } from '@nestjs/common';
import { MonitoringService } from './monitoring.service';

/** Live status, online rate, alarms and history of terminals and gateways (issue "Status, live view and diagnostics"). */
@Module({
  providers: [MonitoringService],
  exports: [MonitoringService],
})
export class MonitoringModule {}
