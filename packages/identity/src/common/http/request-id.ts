import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming id is kept (to follow a request through a proxy) only if it is plainly safe to log. */
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * A new request's own id: always the server's, so that no client can choose what the logs
 * and the audit trail name a request by (or make two requests share one).
 */
export function newRequestId(): string {
  return randomUUID();
}

/** The id a client or proxy sent, if it is plainly safe to log: kept beside the server's own. */
export function clientRequestIdOf(request: {
  readonly headers: IncomingHttpHeaders;
}): string | undefined {
  const incoming = request.headers[REQUEST_ID_HEADER];
  return typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming) ? incoming : undefined;
}
