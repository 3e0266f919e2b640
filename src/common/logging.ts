/**
 * Logs (pino) with a request id: taken from an incoming `x-request-id` when it is sane, else a new UUID, and echoed
 * back in the response header. Authorization headers, cookies and passwords are redacted. DALABA_LOG_FORMAT: readable
 * lines (pino-pretty) on a terminal, JSON lines otherwise or when asked. A request line carries method, URL, status and
 * time, not every header; its level is what an operator must act on: a server fault is an error, a client's mistake
 * (400, 401, 403, 404, 409 …) is not a warning.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DestinationStream, Level } from 'pino';
import pretty from 'pino-pretty';
import type { LoggerService } from '@nestjs/common';
import { LoggerModule, type Logger, type Params } from 'nestjs-pino';
import type { AppConfig, LogFormat } from '../config/config';
import { APP_CONFIG } from '../config/config.module';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'password',
  '*.password',
  '*.*.password',
  'passwordHash',
  '*.passwordHash',
];

/** The level of a request's line: errors for server faults only; a client's 4xx is information, not a warning. */
export function requestLevel(_req: IncomingMessage, res: ServerResponse, err?: Error): Level {
  return err || res.statusCode >= 500 ? 'error' : 'info';
}

interface SerializedRequest {
  id?: unknown;
  method?: string;
  url?: string;
  remoteAddress?: string;
}

/** A request in a log line: who asked for what, without its headers. */
export const REQUEST_SERIALIZERS = {
  req: (req: SerializedRequest) => ({ id: req.id, method: req.method, url: req.url, remoteAddress: req.remoteAddress }),
  res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
};

/** Whether this process writes readable lines: `pretty`, or `auto` on a terminal. */
export function prettyLogs(format: LogFormat, stdoutIsTty = process.stdout.isTTY === true): boolean {
  return format === 'pretty' || (format === 'auto' && stdoutIsTty);
}

function readableStream(): DestinationStream {
  // synchronous, on the main thread: lines come out in the order they were logged, before the start summary
  return pretty({
    sync: true,
    colorize: true,
    translateTime: 'SYS:HH:MM:ss',
    ignore: 'pid,hostname,context,req,res,responseTime',
    messageFormat: '{if context}[{context}] {end}{msg}',
  });
}

export function loggingParams(config: AppConfig): Params {
  const options = {
    level: config.logLevel,
    genReqId: requestId,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: REQUEST_SERIALIZERS,
    customLogLevel: requestLevel,
    customSuccessMessage: (req: IncomingMessage, res: ServerResponse, ms: number) =>
      `${req.method} ${req.url} ${res.statusCode} ${Math.round(ms)} ms`,
    customErrorMessage: (req: IncomingMessage, res: ServerResponse, err: Error) =>
      `${req.method} ${req.url} ${res.statusCode} ${err.message}`,
    autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' || req.url === '/metrics' },
  };
  return { pinoHttp: prettyLogs(config.logFormat) ? [options, readableStream()] : options };
}

export const LoggingModule = LoggerModule.forRootAsync({
  inject: [APP_CONFIG],
  useFactory: loggingParams,
});

/** Nest's own start-up lines (modules loaded, routes mapped): for a developer, not an operator. */
const FRAMEWORK_CONTEXTS = new Set([
  'NestFactory',
  'InstanceLoader',
  'RoutesResolver',
  'RouterExplorer',
  'WebSocketsController',
  'NestApplication',
]);

/** Nest's logger over pino, with the framework's start-up chatter at debug so the lines at info are the product's. */
export function operatorLogger(pinoLogger: Logger): LoggerService {
  const chatter = (params: unknown[]): boolean => FRAMEWORK_CONTEXTS.has(String(params[params.length - 1]));
  return {
    log: (message: unknown, ...params: unknown[]) =>
      chatter(params) ? pinoLogger.debug(message, ...params) : pinoLogger.log(message, ...params),
    error: (message: unknown, ...params: unknown[]) => pinoLogger.error(message, ...params),
    warn: (message: unknown, ...params: unknown[]) => pinoLogger.warn(message, ...params),
    debug: (message: unknown, ...params: unknown[]) => pinoLogger.debug(message, ...params),
    verbose: (message: unknown, ...params: unknown[]) => pinoLogger.verbose(message, ...params),
    fatal: (message: unknown, ...params: unknown[]) => pinoLogger.fatal(message, ...params),
  };
}
