import { parseCookie, type SetCookie, stringifySetCookie } from 'cookie';
import type { IdentityContextOptions } from '../identity.options.js';
import type { IdentityRequest } from './identity-request.js';

const BEARER = /^Bearer (\S+)$/i;

export interface PresentedToken {
  readonly token: string;
  readonly source: 'cookie' | 'bearer';
}

/** The session token a request presents for a context: its cookie, else a bearer token. */
export function presentedToken(
  request: Pick<IdentityRequest, 'headers'>,
  context: IdentityContextOptions,
): PresentedToken | undefined {
  const header = request.headers.cookie;
  const cookie = header === undefined ? undefined : parseCookie(header)[context.cookie.name];
  if (cookie !== undefined && cookie !== '') return { token: cookie, source: 'cookie' };
  const authorization = request.headers.authorization;
  if (authorization === undefined) return undefined;
  const bearer = BEARER.exec(authorization)?.[1];
  return bearer === undefined ? undefined : { token: bearer, source: 'bearer' };
}

/** An Express response appends with `append`; a Fastify reply's `header` appends Set-Cookie. */
interface CookieResponse {
  append?(name: string, value: string): unknown;
  header?(name: string, value: string): unknown;
}

/**
 * Adds one Set-Cookie header on either adapter, next to any others already written, so
 * no cookie plugin or middleware is needed.
 */
function appendSetCookie(response: unknown, cookie: SetCookie): void {
  const target = response as CookieResponse;
  const value = stringifySetCookie(cookie);
  if (typeof target.append === 'function') target.append('Set-Cookie', value);
  else if (typeof target.header === 'function') target.header('Set-Cookie', value);
  else throw new Error('Session cookie: the response is neither Express nor Fastify');
}

/** Session cookie flags: HttpOnly, the context's SameSite and path, Secure. */
function sessionCookie(context: IdentityContextOptions, secure: boolean, value: string): SetCookie {
  return {
    name: context.cookie.name,
    value,
    httpOnly: true,
    sameSite: context.cookie.sameSite,
    path: context.cookie.path,
    secure,
  };
}

export function setSessionCookie(
  response: unknown,
  context: IdentityContextOptions,
  token: string,
  maxAgeSeconds: number,
  secure: boolean,
): void {
  appendSetCookie(response, { ...sessionCookie(context, secure, token), maxAge: maxAgeSeconds });
}

/** The browser drops the cookie: empty, `Max-Age=0` and an expiry in 1970. */
export function clearSessionCookie(
  response: unknown,
  context: IdentityContextOptions,
  secure: boolean,
): void {
  appendSetCookie(response, {
    ...sessionCookie(context, secure, ''),
    maxAge: 0,
    expires: new Date(0),
  });
}
