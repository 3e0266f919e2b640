/**
 * /live across instances (docs/cluster.md): every change this instance's hub routes is also published to the other
 * instances of the namespace (Socket.IO `serverSideEmit` through the Redis streams adapter), and every change they
 * publish comes out of `received`, for the hub to route to its own clients by the same scope rules as a local one.
 * What is received is never published again (the adapter does not hand an instance its own messages either), so each
 * change reaches each instance once.
 *
 * Without DALABA_REDIS_URL nothing is published or received. While Redis is down, publishing is skipped (the change
 * still reaches this instance's clients) and resumes when it is back; what was skipped is not replayed.
 */
import { Inject, Injectable, Logger } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { Subject } from 'rxjs';
import type { Namespace } from 'socket.io';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../health/metrics.service';
import { type LiveInput, fromWire, toWire } from './live-input';
import { RedisLink } from './redis-link';

/** The event between the servers of the /live namespace. */
export const FANOUT_EVENT = 'dalaba:live-input';

@Injectable()
export class LiveFanout {
  private readonly log = new Logger('Live');
  private namespace: Namespace | null = null;
  private readonly instanceId: string;
  readonly received = new Subject<LiveInput>();
  /** Changes published, received, and skipped while Redis was down (since start). */
  readonly counts = { published: 0, received: 0, skipped: 0 };

  private readonly changes: Counter<'direction'> | null = null;

  constructor(
    private readonly link: RedisLink,
    @Inject(APP_CONFIG) config: AppConfig,
    metrics: MetricsService,
  ) {
    this.instanceId = config.cluster.instanceId;
    if (!link.enabled) return;
    this.changes = new Counter({
      name: 'dalaba_live_fanout_changes_total',
      help: '/live changes published to the other instances, received from them, or skipped while Redis was down',
      labelNames: ['direction'],
      registers: [metrics.registry],
    });
    new Gauge({
      name: 'dalaba_redis_up',
      help: '1 while the Redis that shares /live between instances is reachable, else 0',
      registers: [metrics.registry],
      collect() {
        this.set(link.up ? 1 : 0);
      },
    });
  }

  private count(direction: keyof LiveFanout['counts']): void {
    this.counts[direction] += 1;
    this.changes?.inc({ direction });
  }

  /** The /live namespace, once Socket.IO has it: changes of the other instances arrive on it from now on. */
  attach(namespace: Namespace): void {
    if (!this.link.enabled) return;
    this.namespace = namespace;
    namespace.on(FANOUT_EVENT, (wire: unknown) => this.receive(wire));
  }

  /** How many servers of /live share changes through Redis now, this one included (0 without Redis). */
  async servers(): Promise<number> {
    return this.namespace ? await this.namespace.adapter.serverCount() : 0;
  }

  publish(input: LiveInput): void {
    if (!this.namespace) return;
    if (!this.link.up) {
      this.count('skipped');
      return;
    }
    this.count('published');
    this.namespace.serverSideEmit(FANOUT_EVENT, toWire(this.instanceId, input));
  }

  private receive(wire: unknown): void {
    const got = fromWire(wire);
    if (!got) {
      this.log.warn('a /live change from another instance could not be read; ignored');
      return;
    }
    this.count('received');
    this.received.next(got.input);
  }
}
