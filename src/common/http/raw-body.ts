import type { RawBodyRequest } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';

interface RawBodyRouteConfig {
  keepRawBody?: boolean;
}

/**
 * A route whose handler needs the exact bytes of its JSON body (a signature is computed
 * over them, and parsing then serialising again would not give the same bytes). Other
 * routes do not keep them.
 */
export const KeepRawBody = (): MethodDecorator =>
  RouteConfig({ keepRawBody: true } satisfies RawBodyRouteConfig);

/**
 * Fastify's own JSON parser (the same poisoning rules: `__proto__` and `constructor` keys
 * are refused), reading the body as bytes so that routes marked `KeepRawBody` keep them.
 */
export function parseJsonKeepingRawBodies(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    if ((request.routeOptions.config as RawBodyRouteConfig).keepRawBody === true) {
      (request as RawBodyRequest<FastifyRequest>).rawBody = body as Buffer;
    }
    // Fastify's parser takes a Buffer as well as a string (its types say string only).
    void parseJson(request, body as unknown as string, done);
  });
}

/** The body's bytes as received, on a `KeepRawBody` route (empty when there was no body). */
export function rawBodyOf(request: FastifyRequest): Buffer {
  return (request as RawBodyRequest<FastifyRequest>).rawBody ?? Buffer.alloc(0);
}
