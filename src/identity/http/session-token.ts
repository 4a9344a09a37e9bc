import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppContext, CONTEXTS } from '../../common/app-context.js';

const BEARER = /^Bearer (\S+)$/i;

/** The session token a request presents for a context: its cookie, else a bearer token. */
export function presentedToken(
  request: FastifyRequest,
  context: AppContext,
): { token: string; source: 'cookie' | 'bearer' } | undefined {
  const cookie = request.cookies[CONTEXTS[context].sessionCookie];
  if (cookie !== undefined && cookie !== '') return { token: cookie, source: 'cookie' };
  const bearer = BEARER.exec(request.headers.authorization ?? '')?.[1];
  return bearer === undefined ? undefined : { token: bearer, source: 'bearer' };
}

/** Cookie flags of SPEC §5: HttpOnly, SameSite (admin Strict), the context's path, Secure. */
function cookieOptions(context: AppContext, secure: boolean) {
  return {
    httpOnly: true,
    sameSite: context === AppContext.Admin ? ('strict' as const) : ('lax' as const),
    path: `/${CONTEXTS[context].routePrefix}`,
    secure,
  };
}

export function setSessionCookie(
  reply: FastifyReply,
  context: AppContext,
  token: string,
  maxAgeSeconds: number,
  secure: boolean,
): void {
  void reply.setCookie(CONTEXTS[context].sessionCookie, token, {
    ...cookieOptions(context, secure),
    maxAge: maxAgeSeconds,
  });
}

export function clearSessionCookie(
  reply: FastifyReply,
  context: AppContext,
  secure: boolean,
): void {
  void reply.clearCookie(CONTEXTS[context].sessionCookie, cookieOptions(context, secure));
}
