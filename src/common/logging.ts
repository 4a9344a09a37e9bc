import { AsyncLocalStorage } from 'node:async_hooks';
import type { IncomingMessage } from 'node:http';
import type { LoggerService } from '@nestjs/common';
import { pino, type Level, type LevelWithSilent, type Logger as PinoLogger } from 'pino';
import { clientRequestIdOf, newRequestId } from '@exchanger/identity';

/**
 * Fields of a database error (TypeORM's QueryFailedError copies the driver's onto itself)
 * that carry values: the statement's parameters (a password hash on a failed insert), its
 * text, the failing row (`detail`), the context and internal query of a server function.
 */
const ERROR_VALUE_FIELDS = [
  'parameters',
  'query',
  'driverError',
  'detail',
  'where',
  'internalQuery',
] as const;

/** Whatever a log call is given, these never reach the output. */
const REDACTED_PATHS = [
  'req.headers.cookie',
  'req.headers.authorization',
  'res.headers["set-cookie"]',
  'password',
  'token',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.token',
  ...ERROR_VALUE_FIELDS.map((field) => `err.${field}`),
];

/** A request slower than this is logged (warn) whatever the level. */
export const SLOW_REQUEST_MS = 1_000;

/**
 * Errors as pino's standard serializer writes them (type, message, stack, SQLSTATE code,
 * table, constraint, …) without the fields that carry values.
 */
export function serializeError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  // A new object for an Error; a copy of anything else, which the caller still holds.
  const fields = (error instanceof Error ? pino.stdSerializers.err(error) : { ...error }) as Record<
    string,
    unknown
  >;
  for (const field of ERROR_VALUE_FIELDS) delete fields[field];
  return fields;
}

/** JSON lines on stdout. */
export function createLogger(level: LevelWithSilent): PinoLogger {
  return pino({
    level,
    serializers: { err: serializeError },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}

/** The request being served, its id, and the id its client sent (if any). */
interface RequestContext {
  readonly request: IncomingMessage;
  readonly id: string;
  readonly clientId: string | undefined;
}

/**
 * The request being served, for the lines logged while serving it. Entered once per
 * request around the whole of its handling (see `withRequestContext`).
 */
const currentRequest = new AsyncLocalStorage<RequestContext>();

/**
 * Wraps an HTTP request handler: the request's id is decided once, before anything else
 * runs, and every line logged while serving the request names it.
 */
export function withRequestContext<Args extends unknown[]>(
  handler: (request: IncomingMessage, ...rest: Args) => void,
): (request: IncomingMessage, ...rest: Args) => void {
  return (request, ...rest) =>
    currentRequest.run(
      { request, id: newRequestId(), clientId: clientRequestIdOf(request) },
      handler,
      request,
      ...rest,
    );
}

/**
 * The id of the request being served (Fastify's `genReqId`: error bodies, the response
 * header); a new one outside `withRequestContext` (requests injected in tests).
 */
export function currentRequestId(): string {
  return currentRequest.getStore()?.id ?? newRequestId();
}

/** The id the client of the request being served sent, if it was safe to keep. */
export function currentClientRequestId(request: IncomingMessage): string | undefined {
  const store = currentRequest.getStore();
  return store === undefined ? clientRequestIdOf(request) : store.clientId;
}

/** A request as it is logged: its id, method and path only — no headers, query or body. */
function requestFields({ request, id, clientId }: RequestContext) {
  return { id, clientId, method: request.method, path: (request.url ?? '').split('?')[0] };
}

/**
 * One line per request, written after it: errors (5xx) and refusals (4xx) and slow ones
 * always, others at info; health checks only when they fail.
 */
export function logRequest(
  log: PinoLogger,
  request: IncomingMessage,
  id: string,
  statusCode: number,
  elapsedMs: number,
): void {
  const level: Level =
    statusCode >= 500
      ? 'error'
      : statusCode >= 400 || elapsedMs >= SLOW_REQUEST_MS
        ? 'warn'
        : 'info';
  if (!log.isLevelEnabled(level)) return;
  if (level === 'info' && request.url?.startsWith('/health')) return;
  log[level](
    {
      req: requestFields({ request, id, clientId: currentClientRequestId(request) }),
      res: { statusCode },
      responseTime: Math.round(elapsedMs),
    },
    'request completed',
  );
}

/**
 * Nest's logger (what `new Logger('Context').log(…)` writes through), on pino: a message,
 * an object of fields, or an error; with the Nest context, and the request being served.
 */
export class AppLogger implements LoggerService {
  constructor(private readonly pino: PinoLogger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(level: Level, message: unknown, rest: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    // Nest passes the context last (and, for errors, a stack before it).
    const context = typeof rest.at(-1) === 'string' ? (rest.at(-1) as string) : undefined;
    const request = currentRequest.getStore();
    const fields: Record<string, unknown> = {
      ...(context === undefined ? {} : { context }),
      ...(request === undefined ? {} : { req: requestFields(request) }),
    };
    if (message instanceof Error) this.pino[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null)
      this.pino[level]({ ...fields, ...(message as Record<string, unknown>) });
    else this.pino[level](fields, String(message));
  }
}
