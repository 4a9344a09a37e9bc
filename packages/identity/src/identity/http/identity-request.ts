import type { IncomingHttpHeaders } from 'node:http';
import type { ValidatedSession } from '../../session/index.js';

/** The session behind a request, with where its token came from. */
export interface AuthenticatedSession extends ValidatedSession {
  readonly token: string;
  readonly source: 'cookie' | 'bearer';
}

/**
 * The part of a request the package reads and writes. Express and Fastify requests both
 * have these fields, so the guards and decorators run on either adapter.
 */
export interface IdentityRequest {
  readonly headers: IncomingHttpHeaders;
  readonly method: string;
  readonly protocol: string;
  /** Host and port as the client named them (both adapters include the port). */
  readonly host?: string;
  readonly ip?: string;
  /** Fastify numbers its requests; Express has no id. */
  readonly id?: unknown;
  readonly body?: unknown;
  /** Set by the authentication guard when the request presents a valid session. */
  authenticated?: AuthenticatedSession;
}
