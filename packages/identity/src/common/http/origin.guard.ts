import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
} from '@nestjs/common';
import type { IncomingHttpHeaders } from 'node:http';

export interface OriginGuardOptions {
  /** Origins besides the API's own that may send unsafe requests (the browser apps). */
  readonly trustedOrigins: readonly string[];
}

export const ORIGIN_GUARD_OPTIONS = Symbol('ORIGIN_GUARD_OPTIONS');

/** What the guard reads of a request; Express and Fastify requests both have it. */
interface OriginRequest {
  readonly method: string;
  readonly protocol: string;
  readonly host?: string;
  readonly headers: IncomingHttpHeaders;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses unsafe requests sent by a browser from a foreign page, with or without
 * a session: an Origin that is neither the API's own nor a trusted one, or, without Origin,
 * `Sec-Fetch-Site: cross-site`. This is what stops CSRF, login CSRF and forced logout;
 * SameSite cookies alone do not separate two ports of one host. Clients that are not
 * browsers send neither header and pass.
 */
@Injectable()
export class OriginGuard implements CanActivate {
  private readonly trusted: ReadonlySet<string>;

  constructor(@Inject(ORIGIN_GUARD_OPTIONS) options: OriginGuardOptions) {
    this.trusted = new Set(options.trustedOrigins);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<OriginRequest>();
    if (SAFE_METHODS.has(request.method)) return true;
    const origin = request.headers.origin;
    if (origin !== undefined) {
      if (origin === `${request.protocol}://${request.host}` || this.trusted.has(origin))
        return true;
      throw new ForbiddenException(
        `Cross-origin request refused: ${origin} is not an allowed origin`,
      );
    }
    if (request.headers['sec-fetch-site'] === 'cross-site') {
      throw new ForbiddenException('Cross-site request refused');
    }
    return true;
  }
}
