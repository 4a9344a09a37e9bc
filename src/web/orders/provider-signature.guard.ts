import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
} from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { rawBodyOf } from '../../common/http/raw-body.js';

export const PROVIDER_TIMESTAMP_HEADER = 'x-provider-timestamp';
export const PROVIDER_SIGNATURE_HEADER = 'x-provider-signature';
/** How far a delivery's timestamp may be from our clock, either way. */
export const PROVIDER_TOLERANCE_SECONDS = 300;
/** PAYMENT_PROVIDER_SECRET (or undefined), provided by WebModule. */
export const PROVIDER_SECRET = Symbol('PROVIDER_SECRET');

const TIMESTAMP = /^\d{1,12}$/;
const SIGNATURE = /^[0-9a-fA-F]{64}$/;

/** HMAC-SHA256 of `timestamp + "." + body`: what the provider signs. */
export function providerSignature(secret: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();
}

/**
 * Only the payment provider, holding PAYMENT_PROVIDER_SECRET, confirms payments and payouts:
 * each delivery carries `X-Provider-Timestamp` (Unix seconds) and `X-Provider-Signature`
 * (hex HMAC-SHA256 over the timestamp, a dot and the body's exact bytes). A delivery more
 * than PROVIDER_TOLERANCE_SECONDS from our clock is refused, so a captured one cannot be
 * replayed later; within the window, the order's status machine and the stored provider
 * reference keep a replay from acting twice (OrdersService.confirmPayment).
 */
@Injectable()
export class ProviderSignatureGuard implements CanActivate {
  constructor(@Inject(PROVIDER_SECRET) private readonly secret: string | undefined) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.secret === undefined)
      throw new ServiceUnavailableException('Payment confirmation is not configured');
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const timestamp = request.headers[PROVIDER_TIMESTAMP_HEADER];
    const signature = request.headers[PROVIDER_SIGNATURE_HEADER];
    if (typeof timestamp !== 'string' || !TIMESTAMP.test(timestamp))
      throw new UnauthorizedException(`${PROVIDER_TIMESTAMP_HEADER} must be Unix seconds`);
    if (typeof signature !== 'string' || !SIGNATURE.test(signature))
      throw new UnauthorizedException(
        `${PROVIDER_SIGNATURE_HEADER} must be a hex HMAC-SHA256 (64 characters)`,
      );
    const skew = Math.abs(Date.now() / 1000 - Number(timestamp));
    if (skew > PROVIDER_TOLERANCE_SECONDS) {
      throw new UnauthorizedException(
        `${PROVIDER_TIMESTAMP_HEADER} is more than ${PROVIDER_TOLERANCE_SECONDS} seconds from now`,
      );
    }
    const expected = providerSignature(this.secret, timestamp, rawBodyOf(request));
    // Both are 32 bytes (the header was checked to be 64 hex digits): a constant-time compare.
    if (!timingSafeEqual(Buffer.from(signature, 'hex'), expected))
      throw new UnauthorizedException(`Invalid ${PROVIDER_SIGNATURE_HEADER}`);
    return true;
  }
}
