import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  ServiceUnavailableException,
  type Type,
} from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AppConfig } from '../../config/app-config.js';

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * A guard for server-to-server calls (the bot backend, the payment provider): the request
 * must carry `header` equal to the configured secret. Unconfigured, the route answers 503.
 * Equal-length digests are compared, so the time taken tells nothing about the secret.
 */
export function SharedSecretGuard(
  header: string,
  secretOf: (config: ConfigService<AppConfig, true>) => string | undefined,
  purpose: string,
): Type<CanActivate> {
  @Injectable()
  class Guard implements CanActivate {
    private readonly secret: Buffer | undefined;

    constructor(config: ConfigService<AppConfig, true>) {
      const secret = secretOf(config);
      this.secret = secret === undefined ? undefined : digest(secret);
    }

    canActivate(context: ExecutionContext): boolean {
      if (this.secret === undefined)
        throw new ServiceUnavailableException(`${purpose} is not configured`);
      const presented = context.switchToHttp().getRequest<FastifyRequest>().headers[header];
      if (typeof presented !== 'string' || !timingSafeEqual(digest(presented), this.secret)) {
        throw new ForbiddenException(`Invalid ${header}`);
      }
      return true;
    }
  }
  // Named after its header, so that route listings show which secret a route needs.
  Object.defineProperty(Guard, 'name', { value: `SharedSecretGuard(${header})` });
  return Guard;
}
