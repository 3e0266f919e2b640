/**
 * Response headers and the Socket.IO origin rule.
 *
 * helmet sets a Content-Security-Policy the console in web/ satisfies (scripts only from this origin, no inline
 * script; inline styles stay allowed because the console sets element styles), frame-ancestors 'none', nosniff and
 * a no-referrer policy. The Socket.IO server (engine path /socket.io, both polling and websocket) accepts a browser
 * connection only from the server's own origin or one listed in DALABA_ALLOWED_ORIGINS, and never reflects another
 * Origin in CORS headers. Clients that send no Origin (not a browser page) are not affected. Every event payload is
 * screened like a request body (screenInput) before a handler sees it.
 */
import type { INestApplicationContext } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { IncomingMessage } from 'node:http';
import helmet from 'helmet';
import type { RequestHandler } from 'express';
import type { Server, ServerOptions } from 'socket.io';
import { screenInput } from './validation';

export function securityHeaders(): RequestHandler {
  return helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:', 'blob:'],
        'media-src': ["'self'", 'blob:'],
        'connect-src': ["'self'"],
        'font-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'base-uri': ["'none'"],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
      },
    },
    crossOriginEmbedderPolicy: false,
    referrerPolicy: { policy: 'no-referrer' },
    // plain HTTP on a county LAN is a supported deployment; HSTS belongs to the TLS proxy in front when there is one
    strictTransportSecurity: false,
  }) as RequestHandler;
}

/** True when a browser page at `origin` may talk to the server that `host` (the Host header) names. */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowed: readonly string[],
): boolean {
  if (origin === undefined) return true;
  if (allowed.includes(origin)) return true;
  try {
    return host !== undefined && new URL(origin).host === host;
  } catch {
    return false;
  }
}

type EventHandler = { message: string; callback: (data: unknown, ack: unknown) => unknown };

/** Socket.IO with the origin rule and payload screening; installed by setUpApp. */
export class GuardedIoAdapter extends IoAdapter {
  constructor(
    app: INestApplicationContext,
    private readonly allowedOrigins: readonly string[],
    /** Extra server options: the Redis adapter and WebSocket only, when instances share /live (live/redis-link.ts). */
    private readonly extra: Partial<ServerOptions> = {},
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const allowed = this.allowedOrigins;
    return super.createIOServer(port, {
      ...options,
      ...this.extra,
      cors: allowed.length > 0 ? { origin: [...allowed], credentials: false } : undefined,
      allowRequest: (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => {
        callback(null, originAllowed(req.headers.origin, req.headers.host, allowed));
      },
    }) as Server;
  }

  override bindMessageHandlers(socket: unknown, handlers: EventHandler[], transform: (data: unknown) => never): void {
    const screened = handlers.map((h) => ({
      ...h,
      callback: (data: unknown, ack: unknown) => {
        const bad = screenInput(data);
        if (bad.length === 0) return h.callback(data, ack);
        const reply = {
          ok: false,
          code: 'validation_failed',
          message: `invalid ${h.message}: ${bad.map((b) => b.field).join(', ')}`,
          details: bad,
        };
        if (typeof ack === 'function') (ack as (r: unknown) => void)(reply);
        return undefined;
      },
    }));
    super.bindMessageHandlers(socket as never, screened as never, transform);
  }
}
