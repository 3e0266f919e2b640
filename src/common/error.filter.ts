/**
 * The one place where errors become HTTP responses: `{statusCode, code, message, details}`.
 * DomainError → its status and code; Nest's HttpException → its status with a code derived from it;
 * anything else → 500 `internal_error` with a correlation id (the request id), logged with its stack, never leaked.
 */
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError, withoutPaths } from './errors';

export interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  details?: unknown;
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'too_many_requests',
  503: 'unavailable',
};

function httpExceptionBody(e: HttpException): ErrorBody {
  const status = e.getStatus();
  const response = e.getResponse();
  const body: ErrorBody = { statusCode: status, code: CODE_BY_STATUS[status] ?? `http_${status}`, message: e.message };
  if (typeof response === 'object' && response !== null) {
    if ('message' in response) {
      const m = response.message;
      body.message = Array.isArray(m) ? m.map(String).join('; ') : String(m);
    } else {
      body.details = response; // e.g. the failing checks of /health
    }
  }
  return body;
}

/** Maps any thrown value to the error body; `correlationId` names the request in the logs for a 500. */
export function toErrorBody(error: unknown, correlationId: string): ErrorBody {
  if (error instanceof DomainError) {
    const body: ErrorBody = { statusCode: error.status, code: error.code, message: withoutPaths(error.message) };
    if (error.details !== undefined) body.details = JSON.parse(withoutPaths(JSON.stringify(error.details))) as unknown;
    return body;
  }
  if (error instanceof HttpException) return httpExceptionBody(error);
  // body-parser errors (malformed JSON, too large) carry a status and `expose`
  const e = error as { status?: unknown; expose?: unknown; message?: unknown; type?: unknown };
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500 && e.expose === true) {
    return {
      statusCode: e.status,
      code: CODE_BY_STATUS[e.status] ?? `http_${e.status}`,
      message: typeof e.message === 'string' ? e.message : 'bad request',
    };
  }
  return {
    statusCode: HttpStatus.INTERNAL_SERVER_ERROR,
    code: 'internal_error',
    message: `internal error; quote correlation id ${correlationId}`,
    details: { correlationId },
  };
}

@Catch()
export class ErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('ErrorFilter');

  catch(error: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw error;
    const ctx = host.switchToHttp();
    const req = ctx.getRequest<Request & { id?: unknown }>();
    const res = ctx.getResponse<Response>();
    const correlationId = typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : 'none';
    const body = toErrorBody(error, correlationId);
    if (body.statusCode >= 500) {
      this.logger.error(
        { err: error, correlationId, method: req.method, url: req.originalUrl },
        `unhandled error on ${req.method} ${req.originalUrl}`,
      );
    }
    if (res.headersSent) return;
    res.status(body.statusCode).json(body);
  }
}
