import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  NotFoundException,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';

export const METRICS_TOKEN = Symbol('METRICS_TOKEN');

const BEARER = /^Bearer (\S+)$/i;

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * `GET /metrics` answers only with `Authorization: Bearer <METRICS_TOKEN>` (401 otherwise);
 * without a token configured the endpoint is off (404). Equal-length digests are compared,
 * so the time taken tells nothing about the token.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly token: Buffer | undefined;

  constructor(@Inject(METRICS_TOKEN) token: string | undefined) {
    this.token = token === undefined ? undefined : digest(token);
  }

  canActivate(context: ExecutionContext): boolean {
    if (this.token === undefined) throw new NotFoundException('Cannot GET /metrics');
    const header = context.switchToHttp().getRequest<FastifyRequest>().headers.authorization;
    const presented = header === undefined ? undefined : BEARER.exec(header)?.[1];
    if (presented === undefined || !timingSafeEqual(digest(presented), this.token)) {
      throw new UnauthorizedException('A valid metrics token is required');
    }
    return true;
  }
}
