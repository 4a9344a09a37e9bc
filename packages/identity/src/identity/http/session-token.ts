import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IdentityContextOptions } from '../identity.options.js';

const BEARER = /^Bearer (\S+)$/i;

export interface PresentedToken {
  readonly token: string;
  readonly source: 'cookie' | 'bearer';
}

/** The session token a request presents for a context: its cookie, else a bearer token. */
export function presentedToken(
  request: FastifyRequest,
  context: IdentityContextOptions,
): PresentedToken | undefined {
  const cookie = request.cookies[context.cookie.name];
  if (cookie !== undefined && cookie !== '') return { token: cookie, source: 'cookie' };
  const authorization = request.headers.authorization;
  if (authorization === undefined) return undefined;
  const bearer = BEARER.exec(authorization)?.[1];
  return bearer === undefined ? undefined : { token: bearer, source: 'bearer' };
}

/** Session cookie flags: HttpOnly, the context's SameSite and path, Secure. */
function cookieOptions(context: IdentityContextOptions, secure: boolean) {
  return {
    httpOnly: true,
    sameSite: context.cookie.sameSite,
    path: context.cookie.path,
    secure,
  };
}

export function setSessionCookie(
  reply: FastifyReply,
  context: IdentityContextOptions,
  token: string,
  maxAgeSeconds: number,
  secure: boolean,
): void {
  void reply.setCookie(context.cookie.name, token, {
    ...cookieOptions(context, secure),
    maxAge: maxAgeSeconds,
  });
}

export function clearSessionCookie(
  reply: FastifyReply,
  context: IdentityContextOptions,
  secure: boolean,
): void {
  void reply.clearCookie(context.cookie.name, cookieOptions(context, secure));
}
