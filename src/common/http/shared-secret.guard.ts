import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Inject,
  Injectable,
  ServiceUnavailableException,
  type Type,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/** How a guard refuses a missing or wrong secret. */
export type SecretRefusal = 401 | 403;

/**
 * A guard for server-to-server calls (the payment provider, Telegram's webhook): the
 * request must carry `header` equal to the secret provided under `secretToken` (a string,
 * or undefined when unconfigured: the route then answers 503), else it is refused with
 * `refusal` (403 by default). Equal-length digests are compared, so the time taken tells
 * nothing about the secret.
 */
export function SharedSecretGuard(
  header: string,
  secretToken: symbol,
  purpose: string,
  refusal: SecretRefusal = 403,
): Type<CanActivate> {
  @Injectable()
  class Guard implements CanActivate {
    private readonly secret: Buffer | undefined;

    constructor(@Inject(secretToken) secret: string | undefined) {
      this.secret = secret === undefined ? undefined : digest(secret);
    }

    canActivate(context: ExecutionContext): boolean {
      if (this.secret === undefined)
        throw new ServiceUnavailableException(`${purpose} is not configured`);
      const presented = context.switchToHttp().getRequest<FastifyRequest>().headers[header];
      if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), this.secret)) {
        throw refusal === 401
          ? new UnauthorizedException(`Invalid ${header}`)
          : new ForbiddenException(`Invalid ${header}`);
      }
      return true;
    }
  }
  // Named after its header, so that route listings show which secret a route needs.
  Object.defineProperty(Guard, 'name', { value: `SharedSecretGuard(${header})` });
  return Guard;
}
