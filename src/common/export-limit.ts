/**
 * Exports (registry lists as CSV/XLSX, region tables, broadcast reports) read whole tables: each account may run at
 * most EXPORT_LIMITS.concurrent at once and EXPORT_LIMITS.perMinute in any minute; beyond, 429 `too_many_exports`.
 * Memory is bounded by the number of accounts (one short list of start times each, pruned as it is read).
 * `@UseInterceptors(ExportLimit)` on a route; a list route counts only when it is asked for a file (`?format=`).
 */
import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { Observable, finalize } from 'rxjs';
import { Clock } from './clock';
import { DomainError } from './errors';

export const EXPORT_LIMITS = { perMinute: 10, concurrent: 2 };
const MINUTE_MS = 60_000;

export class TooManyExportsError extends DomainError {
  constructor(message: string) {
    super('too_many_exports', message, 429);
  }
}

/** Shared by every route the interceptor guards (Nest makes one interceptor instance per module). */
const started = new Map<number, number[]>();
const running = new Map<number, number>();

@Injectable()
export class ExportLimit implements NestInterceptor {
  private readonly started = started;
  private readonly running = running;

  constructor(private readonly clock: Clock) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request & { user?: { id: number } }>();
    const isFile = /\/(export|report)$/.test(req.path) || req.query.format !== undefined;
    if (!req.user || !isFile) return next.handle();
    const id = req.user.id;
    const now = this.clock.now();
    const recent = (this.started.get(id) ?? []).filter((t) => now - t < MINUTE_MS);
    const active = this.running.get(id) ?? 0;
    if (active >= EXPORT_LIMITS.concurrent)
      throw new TooManyExportsError(`at most ${EXPORT_LIMITS.concurrent} exports at a time; wait for the running ones`);
    if (recent.length >= EXPORT_LIMITS.perMinute) {
      this.started.set(id, recent);
      throw new TooManyExportsError(`at most ${EXPORT_LIMITS.perMinute} exports a minute; try again shortly`);
    }
    recent.push(now);
    this.started.set(id, recent);
    this.running.set(id, active + 1);
    return next.handle().pipe(
      finalize(() => {
        const left = (this.running.get(id) ?? 1) - 1;
        if (left <= 0) this.running.delete(id);
        else this.running.set(id, left);
      }),
    );
  }
}
