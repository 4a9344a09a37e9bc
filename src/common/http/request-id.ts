import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming id is kept (to follow a request through a proxy) only if it is plainly safe to log. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A new request's id: the one a proxy sent if it is plainly safe to log, else a new UUID. */
export function newRequestId(request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming) ? incoming : randomUUID();
}
