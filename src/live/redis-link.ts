/**
 * The connection to Redis (DALABA_REDIS_URL) that carries /live between instances (docs/cluster.md): one ioredis
 * client, which reconnects by itself after Redis restarts, and the Socket.IO Redis streams adapter built on it. Unset,
 * nothing here connects anywhere and `enabled` is false.
 *
 * Redis is never needed to work locally: while it is down the instance serves its own clients as alone, `up` is false
 * (what is published meanwhile is dropped, not queued), one warning is logged per outage and one line when it is back.
 */
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { BehaviorSubject } from 'rxjs';
import type { ServerOptions } from 'socket.io';
import type { AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';

/** What a closing link must stop: the adapters (their stream readers end with them) and every connection. */
interface Closable {
  close(): unknown;
}

export type RedisState = 'off' | 'up' | 'down';

/** How long a stream read blocks, ms: a closing instance waits at most this long for its reader. */
const BLOCK_MS = 1000;

@Injectable()
export class RedisLink implements OnModuleDestroy {
  private readonly log = new Logger('Redis');
  readonly prefix: string;
  private readonly client: Redis | null = null;
  private readonly connections: Redis[] = [];
  private readonly adapters: Closable[] = [];
  /** 'off' without DALABA_REDIS_URL; else 'up' once the publishing connection is ready, 'down' while it is not. */
  readonly state: BehaviorSubject<RedisState>;
  private lastError: string | null = null;
  private warned = false;
  private closed = false;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const url = config.cluster.redisUrl?.reveal() ?? null;
    this.prefix = config.cluster.redisPrefix;
    this.state = new BehaviorSubject<RedisState>(url ? 'down' : 'off');
    if (!url) return;
    this.client = this.track(
      new Redis(url, {
        // a change published while Redis is away is dropped at once rather than queued and sent late
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectionName: `dalaba:${config.cluster.instanceId}`,
        // a closing instance does not wait long for a connection that will not close cleanly (Redis away)
        disconnectTimeout: 200,
      }),
    );
    // the adapter drops the promise of what it publishes: a refusal (Redis away) must not become an unhandled rejection
    const publish = this.client.publish.bind(this.client) as (...args: unknown[]) => Promise<number>;
    this.client.publish = (...args: unknown[]) => publish(...args).catch(() => 0);
    const duplicate = this.client.duplicate.bind(this.client);
    // the adapter's stream reader and subscriber are duplicates: they wait for Redis (offline queue on) and are closed here
    this.client.duplicate = (override) =>
      this.track(duplicate({ enableOfflineQueue: true, maxRetriesPerRequest: null, ...override }));
    this.client.on('ready', () => this.changed('up'));
    this.client.on('error', (e: Error) => {
      this.lastError = e.message;
      this.changed('down');
    });
    this.client.on('close', () => this.changed('down'));
  }

  get enabled(): boolean {
    return this.client !== null;
  }

  get up(): boolean {
    return this.state.value === 'up';
  }

  /** The Socket.IO server's options: the Redis streams adapter and WebSocket only (no sticky sessions needed). */
  socketOptions(): Partial<ServerOptions> {
    if (!this.client) return {};
    const factory = createAdapter(this.client, {
      streamName: `${this.prefix}:live`,
      channelPrefix: `${this.prefix}:io`,
      sessionKeyPrefix: `${this.prefix}:session:`,
      blockTimeInMs: BLOCK_MS,
    });
    const adapters = this.adapters;
    // Socket.IO calls it with `new`: a function, not an arrow
    function adapter(nsp: Parameters<typeof factory>[0]) {
      const a = factory(nsp);
      adapters.push(a);
      return a;
    }
    return { adapter: adapter, transports: ['websocket'] };
  }

  /** For /health: configured or not, reachable or not. */
  describe(): { status: 'up' | 'down'; message?: string } | null {
    if (!this.client) return null;
    return this.up ? { status: 'up' } : { status: 'down', message: this.lastError ?? this.client.status };
  }

  onModuleDestroy(): void {
    // the adapters first: their stream reader stops once its connection is closed below
    this.closed = true;
    // nothing is published from now on
    if (this.state.value === 'up') this.state.next('down');
    for (const a of this.adapters.splice(0)) a.close();
    for (const c of this.connections.splice(0)) c.disconnect();
    this.state.complete();
  }

  private track(c: Redis): Redis {
    c.on('error', () => undefined);
    this.connections.push(c);
    return c;
  }

  private changed(next: 'up' | 'down'): void {
    if (this.closed) return;
    if (this.state.value !== next) this.state.next(next);
    if (next === 'down' && !this.warned) {
      this.warned = true;
      this.log.warn(
        `Redis is unreachable (${this.lastError ?? 'connection closed'}): /live serves this instance's changes only until it is back`,
      );
    } else if (next === 'up' && this.warned) {
      this.warned = false;
      this.log.log('Redis is reachable again: /live changes are shared with the other instances');
    }
  }
}
