import { Controller, Get, Header } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ApiExcludeEndpoint, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrors } from '../common/api-docs';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  type HealthIndicatorResult,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { AudioCapabilitiesService } from '../audio/audio-capabilities.service';
import { Public } from '../auth/decorators';
import { BUS_PREFIX, LeaseManager, SINGLETON_PREFIX } from '../cluster/lease-manager';
import { RedisLink } from '../live/redis-link';
import { MetricsService } from './metrics.service';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly metrics: MetricsService,
    private readonly modules: ModuleRef,
  ) {}

  /**
   * Liveness and the database ping; 503 when the database does not answer within 3 s. `audio` names the tool and
   * version serving each of ffmpeg, ffprobe and speech, and where it comes from (npm package, configured path, PATH);
   * a missing tool switches features off but does not make the server unhealthy. Clustered (DALABA_CLUSTER=on),
   * `cluster` names this instance, the buses and the singletons it holds with their fencing epochs, and its live peers.
   * With DALABA_REDIS_URL, `cluster.redis` says whether Redis (the /live fan-out) is up; down does not make this
   * instance unhealthy.
   */
  @Get('health')
  @HealthCheck()
  @ApiOperation({ summary: 'Liveness and the database ping' })
  @ApiErrors(503)
  check(): Promise<HealthCheckResult> {
    return this.health.check([
      () => this.db.pingCheck('database', { timeout: 3000 }),
      () => this.audio(),
      () => this.cluster(),
    ]);
  }

  private async cluster(): Promise<HealthIndicatorResult> {
    const leases = this.modules.get(LeaseManager, { strict: false });
    // Redis down leaves the instance healthy (it works alone meanwhile): said here, not counted against it
    const redis = this.modules.get(RedisLink, { strict: false }).describe() ?? undefined;
    if (!leases.clustered)
      return redis ? { cluster: { status: 'up', instanceId: leases.options.instanceId, redis } } : {};
    const held = (prefix: string) =>
      leases.heldKeys().flatMap((key) => (key.startsWith(prefix) ? [{ key, epoch: leases.epochOf(key) }] : []));
    const buses = held(BUS_PREFIX);
    const singletons = held(SINGLETON_PREFIX);
    const instanceId = leases.options.instanceId;
    try {
      const peers = (await leases.peers()).map((p) => ({
        id: p.id,
        label: p.label,
        lastHeartbeat: new Date(p.lastHeartbeat).toISOString(),
      }));
      return { cluster: { status: 'up', instanceId, buses, singletons, peers, redis } };
    } catch (e) {
      return { cluster: { status: 'down', instanceId, buses, singletons, message: (e as Error).message, redis } };
    }
  }

  private async audio(): Promise<HealthIndicatorResult> {
    const caps = this.modules.get(AudioCapabilitiesService, { strict: false });
    const tools = (await caps.current()).tools;
    const entry = (t: (typeof tools)[number]) => ({ available: t.available, version: t.detail, origin: t.origin });
    const [ffmpeg, ffprobe, speech] = tools;
    return {
      audio: {
        status: 'up',
        ffmpeg: entry(ffmpeg),
        ffprobe: entry(ffprobe),
        speech: { engine: speech.name, ...entry(speech) },
      },
    };
  }

  /** Prometheus text format. Public like /health: restrict it at the network edge if needed. */
  @Get('metrics')
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics' })
  scrape(): Promise<string> {
    return this.metrics.text();
  }
}
