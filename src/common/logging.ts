import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { pino, type LevelWithSilent, type Logger as PinoLogger } from 'pino';
import { requestIdOf } from './http/request-id.js';

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

function pathOnly(url: string | undefined): string {
  return (url ?? '').split('?')[0] ?? '';
}

/**
 * One log line per request plus every line logged while serving it, each carrying the
 * request id. Requests are logged as method, path and id only: no headers, no query, no
 * body, so no cookie, token or password can slip through.
 */
export function loggerParams(level: LevelWithSilent): Params {
  return {
    // nestjs-pino's default route pattern matches nothing under Nest 12 on Fastify.
    forRoutes: [{ path: '*path', method: RequestMethod.ALL }],
    pinoHttp: {
      logger: createLogger(level),
      genReqId: (request: IncomingMessage) => requestIdOf(request),
      serializers: {
        req: (request: IncomingMessage & { id?: string }) => ({
          id: request.id,
          method: request.method,
          path: pathOnly(request.url),
        }),
        res: (response: ServerResponse) => ({ statusCode: response.statusCode }),
        // pino-http would put its standard one in place of the logger's.
        err: serializeError,
      },
      customLogLevel: (_request, response, error) =>
        error !== undefined || response.statusCode >= 500
          ? 'error'
          : response.statusCode >= 400
            ? 'warn'
            : 'info',
      autoLogging: { ignore: (request) => pathOnly(request.url).startsWith('/health') },
    },
  };
}
