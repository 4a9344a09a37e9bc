import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming id is kept (to follow a request through a proxy) only if it is plainly safe to log. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ids = new WeakMap<IncomingMessage, string>();

/**
 * The request's id, decided once per request: Fastify (`request.id`, error bodies) and
 * the HTTP logger (every log line) both ask, and must get the same answer.
 */
export function requestIdOf(request: IncomingMessage): string {
  let id = ids.get(request);
  if (id === undefined) {
    const incoming = request.headers[REQUEST_ID_HEADER];
    id = typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
    ids.set(request, id);
  }
  return id;
}
