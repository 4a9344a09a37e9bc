import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { ClientInfo } from '../../session/index.js';
import { clientRequestIdOf } from '../../common/http/request-id.js';
import { validAddress } from '../client-address.js';
import type { AuthenticatedSession, IdentityRequest } from './identity-request.js';

export type { AuthenticatedSession } from './identity-request.js';

/** The authenticated session of the request (routes that require one). */
export const CurrentSession = createParamDecorator(
  (_: unknown, context: ExecutionContext): AuthenticatedSession => {
    const session = context.switchToHttp().getRequest<IdentityRequest>().authenticated;
    if (session === undefined) throw new Error('CurrentSession used on a route without a session');
    return session;
  },
);

/** The session of the request if it presented a valid one (`@OptionalSession()` routes). */
export const CurrentSessionIfAny = createParamDecorator(
  (_: unknown, context: ExecutionContext): AuthenticatedSession | undefined =>
    context.switchToHttp().getRequest<IdentityRequest>().authenticated,
);

/**
 * Who is calling, for sessions and the security trail: the address only if it is one
 * (never a forged header's text), the user agent kept to 512 characters.
 */
export function clientInfoOf(request: IdentityRequest): ClientInfo {
  const userAgent = request.headers['user-agent'];
  return {
    ipAddress: validAddress(request.ip),
    userAgent: userAgent === undefined ? null : userAgent.slice(0, 512),
    requestId: typeof request.id === 'string' ? request.id : undefined,
    clientRequestId: clientRequestIdOf(request),
  };
}

export const Client = createParamDecorator((_: unknown, context: ExecutionContext): ClientInfo =>
  clientInfoOf(context.switchToHttp().getRequest<IdentityRequest>()),
);
