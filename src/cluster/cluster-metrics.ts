/**
 * The cluster on /metrics (src/health's Prometheus registry): the buses this instance holds, and how many it took over,
 * a bus gained whose previous epoch belonged to another instance. Epochs grow by one at every acquisition, so a
 * gained epoch e is a takeover unless this instance itself held e − 1 (it renewed late and took its own bus back) or
 * e is 1 (a bus nobody held before).
 */
import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import type { Subscription } from 'rxjs';
import { MetricsService } from '../health/metrics.service';
import { BUS_PREFIX, LeaseManager, type LeaseEvent } from './lease-manager';

/** Whether a gained bus epoch is a takeover, given the last epoch this instance held the bus at (if any). */
export function isTakeover(epoch: number, lastHeld: number | undefined): boolean {
  return epoch > 1 && lastHeld !== epoch - 1;
}

@Injectable()
export class ClusterMetrics implements OnModuleDestroy {
  private readonly takeovers: Counter;
  private readonly lastHeld = new Map<string, number>();
  private readonly subscription: Subscription;

  constructor(metrics: MetricsService, leases: LeaseManager) {
    this.takeovers = new Counter({
      name: 'dalaba_cluster_bus_takeovers_total',
      help: 'Buses this instance gained from another instance (the previous epoch was not its own)',
      registers: [metrics.registry],
    });
    new Gauge({
      name: 'dalaba_cluster_buses_held',
      help: 'Buses this instance holds the lease of (0 when not clustered)',
      registers: [metrics.registry],
      collect() {
        this.set(leases.clustered ? leases.heldKeys().filter((k) => k.startsWith(BUS_PREFIX)).length : 0);
      },
    });
    this.subscription = leases.events.subscribe((e) => this.seen(e));
  }

  private seen(e: LeaseEvent): void {
    if (e.kind !== 'gained' || !e.key.startsWith(BUS_PREFIX)) return;
    if (isTakeover(e.epoch, this.lastHeld.get(e.key))) this.takeovers.inc();
    this.lastHeld.set(e.key, e.epoch);
  }

  onModuleDestroy(): void {
    this.subscription.unsubscribe();
  }
}
