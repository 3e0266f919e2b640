/**
 * Required periodic tests (docs/self-test.md): the terminals' nightly silent self-test and the counties' monthly
 * audible test, their results, alarms and the missed-test report.
 */
import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module';
import { ClusterModule } from '../cluster/cluster.module';
import { FieldModule } from '../field/field.module';
import { MonitoringModule } from '../monitoring/monitoring.module';
import { TerminalsModule } from '../terminals/terminals.module';
import { SelfTestController } from './self-test.controller';
import { SelfTestRepository } from './self-test.repository';
import { SelfTestScheduler } from './self-test.scheduler';
import { SelfTestService } from './self-test.service';

@Module({
  imports: [ClusterModule, FieldModule, MonitoringModule, TerminalsModule, AuditModule],
  controllers: [SelfTestController],
  providers: [SelfTestRepository, SelfTestScheduler, SelfTestService],
  exports: [SelfTestScheduler],
})
export class SelfTestModule {}
