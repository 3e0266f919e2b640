/**
 * The Socket.IO namespace `/live`. A client connects with the same JWT as the API (`auth: { token }` in the handshake,
 * or an `Authorization: Bearer` header), then asks with acknowledgement:
 *   emit('subscribe', { kind: 'region' | 'terminal' | 'gateway' | 'alarms' | 'broadcast' | 'alerts' | 'provisioning'
 *     | 'audioJob' | 'relay' | 'selfTests', id }, ack)
 *     → ack({ ok: true, subscription, snapshot: { terminals, gateways, rates, alarms } }) or ack({ ok: false, code, message })
 *   emit('unsubscribe', { kind, id }, ack)
 * and then receives `delta` batches (live-payload.ts): the latest state of what changed, at most 4 a second.
 *
 * Every event checks the token again (a refused one is answered `unauthorized` and the socket closed), a socket
 * whose account's sessions end (AccountEvents: disabled, re-enabled, narrowed, password reset) is closed at once, and
 * every REVALIDATE_MS each socket's token is checked again (an expired token, or an account changed through another
 * server sharing the database, ends a socket that only listens).
 */
import { Logger, OnModuleDestroy } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Subscription } from 'rxjs';
import type { Namespace, Socket } from 'socket.io';
import { AccountEvents } from '../auth/account-events';
import type { AuthUser } from '../auth/auth-user';
import { bearerToken } from '../auth/auth.guard';
import { AuthService } from '../auth/auth.service';
import type { FeedSink } from './live-feed';
import { LiveFanout } from './live-fanout';
import { LiveHub, type SubscribeReply } from './live-hub';
import type { LiveDelta } from './live-payload';

/** How often every socket's token is checked again, ms. */
const REVALIDATE_MS = 60_000;

/** A client with more than this many packets still queued is skipped until it drains. */
const MAX_QUEUED_PACKETS = 2;

interface SocketData {
  user?: AuthUser;
  token?: string;
}

function sinkOf(socket: Socket): FeedSink {
  const conn = socket.conn as unknown as { writeBuffer?: unknown[] };
  return {
    ready: () => (conn.writeBuffer?.length ?? 0) <= MAX_QUEUED_PACKETS,
    send: (delta: LiveDelta) => void socket.emit('delta', delta),
  };
}

@WebSocketGateway({ namespace: '/live' })
export class LiveChannel
  implements OnGatewayInit<Namespace>, OnGatewayConnection<Socket>, OnGatewayDisconnect<Socket>, OnModuleDestroy
{
  private readonly log = new Logger('Live');
  private namespace: Namespace | null = null;
  private readonly revocations: Subscription;
  private readonly sweep: NodeJS.Timeout;

  constructor(
    private readonly hub: LiveHub,
    private readonly auth: AuthService,
    private readonly fanout: LiveFanout,
    events: AccountEvents,
  ) {
    this.revocations = events.revoked.subscribe(({ userId, reason }) => this.closeSessionsOf(userId, reason));
    this.sweep = setInterval(() => {
      this.revalidateAll().catch((e: unknown) => this.log.error(`live session check failed: ${(e as Error).message}`));
    }, REVALIDATE_MS);
    this.sweep.unref();
  }

  onModuleDestroy(): void {
    this.revocations.unsubscribe();
    clearInterval(this.sweep);
  }

  /** Checks every socket's token again and closes those no longer valid; returns how many were closed. */
  async revalidateAll(): Promise<number> {
    let closed = 0;
    for (const socket of [...(this.namespace?.sockets.values() ?? [])]) {
      if (await this.recheck(socket)) closed += 1;
    }
    return closed;
  }

  afterInit(namespace: Namespace): void {
    this.namespace = namespace;
    this.fanout.attach(namespace);
    namespace.use((socket, next) => {
      const fromAuth = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const token = typeof fromAuth === 'string' ? fromAuth : bearerToken(socket.handshake.headers.authorization);
      if (!token) {
        next(new Error('authentication required: connect with auth: { token }'));
        return;
      }
      this.auth.authenticate(token).then(
        (user) => {
          Object.assign(socket.data as SocketData, { user, token });
          next();
        },
        (e: unknown) => next(new Error(e instanceof Error ? e.message : 'invalid token')),
      );
    });
  }

  handleConnection(socket: Socket): void {
    const user = (socket.data as SocketData).user;
    if (!user) {
      socket.disconnect(true);
      return;
    }
    this.hub.connect(socket.id, user, sinkOf(socket));
    this.log.debug(`${user.username} connected (${this.hub.connected} watching)`);
  }

  handleDisconnect(socket: Socket): void {
    this.hub.disconnect(socket.id);
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<SubscribeReply> {
    const refused = await this.recheck(socket);
    if (refused) return refused;
    return this.hub.subscribe(socket.id, body);
  }

  /** The token checked again; null when it still holds (the hub then acts with the account's current rights). */
  private async recheck(socket: Socket): Promise<{ ok: false; code: string; message: string } | null> {
    const { token } = socket.data as SocketData;
    try {
      this.hub.refresh(socket.id, await this.auth.authenticate(token ?? ''));
      return null;
    } catch (e) {
      // closed right after the answer has gone out
      setImmediate(() => socket.disconnect(true));
      return { ok: false, code: 'unauthorized', message: e instanceof Error ? e.message : 'session no longer valid' };
    }
  }

  private closeSessionsOf(userId: number, reason: string): void {
    if (!this.namespace) return;
    for (const socket of this.namespace.sockets.values()) {
      if ((socket.data as SocketData).user?.id !== userId) continue;
      this.log.debug(`closing a live connection of user ${userId}: ${reason}`);
      socket.disconnect(true);
    }
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(
    @ConnectedSocket() socket: Socket,
    @MessageBody() body: unknown,
  ): Promise<{ ok: boolean; code?: string; message?: string }> {
    return (await this.recheck(socket)) ?? this.hub.unsubscribe(socket.id, body);
  }
}
