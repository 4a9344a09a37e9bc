import type { IncomingMessage, ServerResponse } from 'node:http';
import { RequestMethod } from '@nestjs/common';
import type { Params } from 'nestjs-pino';
import { pino, type LevelWithSilent, type Logger as PinoLogger } from 'pino';
import { requestIdOf } from './http/request-id.js';

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
];

/** JSON lines on stdout. */
export function createLogger(level: LevelWithSilent): PinoLogger {
  return pino({
    level,
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
