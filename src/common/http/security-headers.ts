import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * The security headers helmet sets for these options, computed once: they depend on no
 * request, so every response gets the same object instead of helmet's middleware running
 * per request (or @fastify/helmet rebuilding it per request).
 */
export function securityHeaders(
  options: Readonly<HelmetOptions>,
): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  let applied = false;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, () => {
    applied = true;
  });
  if (!applied) throw new Error('helmet did not finish synchronously');
  return headers;
}

/** This API's: only /docs serves HTML, and its styles are inline. */
export const API_SECURITY_HEADERS = securityHeaders({
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      scriptSrc: ["'self'"],
    },
  },
});
