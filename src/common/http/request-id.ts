import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming id is kept (to follow a request through a proxy) only if it is plainly safe to log. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const REQUEST_ID = Symbol('requestId');

type Identified = IncomingMessage & { [REQUEST_ID]?: string };

/**
 * The request's id, decided once per request: Fastify (`request.id`, error bodies) and
 * the logger (every line logged while serving it) both ask, and must get the same answer.
 */
export function requestIdOf(request: IncomingMessage): string {
  const identified = request as Identified;
  let id = identified[REQUEST_ID];
  if (id === undefined) {
    const incoming = request.headers[REQUEST_ID_HEADER];
    id = typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
    identified[REQUEST_ID] = id;
  }
  return id;
}
