/**
 * Several instances on one database (docs/cluster.md): the LeaseManager, clustered when DALABA_CLUSTER=on, else a
 * single instance owning every bus that does no database work. The field layer, the singleton tasks and the delivery
 * writes take it from here (LeaseManager.events, holds(), fence()). ClusterMetrics puts it on /metrics.
 */
import { Module } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { ClusterMetrics } from './cluster-metrics';
import { LeaseManager } from './lease-manager';
import { LeaseStore } from './lease-store';

@Module({
  providers: [
    { provide: LeaseStore, inject: [DataSource], useFactory: (ds: DataSource) => new LeaseStore(ds) },
    {
      provide: LeaseManager,
      inject: [LeaseStore, Clock, APP_CONFIG],
      useFactory: (store: LeaseStore, clock: Clock, config: AppConfig) => {
        const { enabled, instanceId, leaseMs } = config.cluster;
        const label = `${instanceId} (pid ${process.pid}, ${config.host}:${config.port})`;
        return new LeaseManager(enabled ? store : null, clock, { clustered: enabled, instanceId, label, leaseMs });
      },
    },
    ClusterMetrics,
  ],
  exports: [LeaseManager],
})
export class ClusterModule {}
