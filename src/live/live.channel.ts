/**
 * The Socket.IO namespace `/live`. A client connects with the same JWT as the API (`auth: { token }` in the handshake,
 * or an `Authorization: Bearer` header), then asks with acknowledgement:
 *   emit('subscribe', { kind: 'region' | 'terminal' | 'gateway' | 'alarms', id }, ack)
 *     → ack({ ok: true, subscription, snapshot: { terminals, gateways, rates, alarms } }) or ack({ ok: false, code, message })
 *   emit('unsubscribe', { kind, id }, ack)
 * and then receives `delta` batches (live-payload.ts): the latest state of what changed, at most 4 a second.
 */
import { Logger } from '@nestjs/common';
import {
  ConnectedSocket, MessageBody, OnGatewayConnection, OnGatewayDisconnect, OnGatewayInit, SubscribeMessage, WebSocketGateway,
} from '@nestjs/websockets';
import type { Namespace, Socket } from 'socket.io';
import type { AuthUser } from '../auth/auth-user';
import { bearerToken } from '../auth/auth.guard';
import { AuthService } from '../auth/auth.service';
import type { FeedSink } from './live-feed';
import { LiveHub, type SubscribeReply } from './live-hub';
import type { LiveDelta } from './live-payload';

/** A client with more than this many packets still queued is skipped until it drains. */
const MAX_QUEUED_PACKETS = 2;

function sinkOf(socket: Socket): FeedSink {
  const conn = socket.conn as unknown as { writeBuffer?: unknown[] };
  return {
    ready: () => (conn.writeBuffer?.length ?? 0) <= MAX_QUEUED_PACKETS,
    send: (delta: LiveDelta) => void socket.emit('delta', delta),
  };
}

@WebSocketGateway({ namespace: '/live' })
export class LiveChannel implements OnGatewayInit<Namespace>, OnGatewayConnection<Socket>, OnGatewayDisconnect<Socket> {
  private readonly log = new Logger('Live');

  constructor(
    private readonly hub: LiveHub,
    private readonly auth: AuthService,
  ) {}

  afterInit(namespace: Namespace): void {
    namespace.use((socket, next) => {
      const fromAuth = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const token = typeof fromAuth === 'string' ? fromAuth : bearerToken(socket.handshake.headers.authorization);
      if (!token) {
        next(new Error('authentication required: connect with auth: { token }'));
        return;
      }
      this.auth.authenticate(token).then(
        (user) => {
          (socket.data as { user?: AuthUser }).user = user;
          next();
        },
        (e: unknown) => next(new Error(e instanceof Error ? e.message : 'invalid token')),
      );
    });
  }

  handleConnection(socket: Socket): void {
    const user = (socket.data as { user?: AuthUser }).user;
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
  subscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): Promise<SubscribeReply> {
    return this.hub.subscribe(socket.id, body);
  }

  @SubscribeMessage('unsubscribe')
  unsubscribe(@ConnectedSocket() socket: Socket, @MessageBody() body: unknown): { ok: boolean } {
    return this.hub.unsubscribe(socket.id, body);
  }
}
