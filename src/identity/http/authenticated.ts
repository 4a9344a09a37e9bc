import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../common/app-context.js';
import type { ClientInfo, ValidatedSession } from '../../session/index.js';

/** The session behind a request, with where its token came from. */
export interface AuthenticatedSession extends ValidatedSession {
  readonly token: string;
  readonly source: 'cookie' | 'bearer';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The application the route belongs to (set by the authentication guard). */
    routeContext?: AppContext;
    /** Set by the session strategy on authenticated routes. */
    user?: AuthenticatedSession;
  }
}

/** The authenticated session of the request (routes that require one). */
export const CurrentSession = createParamDecorator(
  (_: unknown, context: ExecutionContext): AuthenticatedSession => {
    const session = context.switchToHttp().getRequest<FastifyRequest>().user;
    if (session === undefined) throw new Error('CurrentSession used on a route without a session');
    return session;
  },
);

/** Who is calling, for sessions and the security trail; the user agent is kept to 512 characters. */
export function clientInfoOf(request: FastifyRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return {
    ipAddress: request.ip,
    userAgent: userAgent === undefined ? null : userAgent.slice(0, 512),
  };
}

export const Client = createParamDecorator((_: unknown, context: ExecutionContext): ClientInfo =>
  clientInfoOf(context.switchToHttp().getRequest<FastifyRequest>()),
);
