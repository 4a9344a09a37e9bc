import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHmac, randomUUID } from 'node:crypto';
import request from 'supertest';
import { TEST_PROVIDER_SECRET } from './test-env.js';

/**
 * The payment provider's side of the signed contract (docs/orders.md), written from the
 * contract rather than from the product's code: `X-Provider-Signature` is the hex
 * HMAC-SHA256 of `timestamp + "." + body` with the shared secret.
 */
export interface Signing {
  /** Unix seconds; now unless given. */
  timestamp?: number;
  secret?: string;
}

/** The headers that sign exactly these body bytes. */
export function providerHeaders(body: string, signing: Signing = {}): Record<string, string> {
  const timestamp = String(signing.timestamp ?? Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', signing.secret ?? TEST_PROVIDER_SECRET)
    .update(`${timestamp}.${body}`)
    .digest('hex');
  return { 'x-provider-timestamp': timestamp, 'x-provider-signature': signature };
}

/** A signed POST from the provider; a string body is sent as these exact bytes. */
export function providerPost(
  app: NestFastifyApplication,
  path: string,
  body: object | string,
  signing?: Signing,
): request.Test {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  return request(app.getHttpServer())
    .post(path)
    .set(providerHeaders(raw, signing))
    .set('content-type', 'application/json')
    .send(raw);
}

/** A payment as the web API shows it: what the provider's delivery must name. */
export interface PaymentToConfirm {
  id: string;
  amount: string;
  currency: string;
}

/** The provider's delivery about a payment: its amount and currency, a fresh reference. */
export function paymentDelivery(
  payment: PaymentToConfirm,
  status: string,
  changes: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    paymentId: payment.id,
    status,
    amount: payment.amount,
    currency: payment.currency,
    reference: `test-${randomUUID()}`,
    ...changes,
  };
}

/** The provider confirms (or fails) a payment: a signed delivery to its webhook. */
export function confirmPayment(
  app: NestFastifyApplication,
  payment: PaymentToConfirm,
  status: string,
  changes?: Record<string, unknown>,
): request.Test {
  return providerPost(
    app,
    `/web/provider/payments/${payment.id}`,
    paymentDelivery(payment, status, changes),
  );
}

/** The provider says the exchanged amount of an order was sent. */
export function confirmPayout(app: NestFastifyApplication, orderId: string): request.Test {
  return providerPost(app, `/web/provider/orders/${orderId}/payout`, { orderId });
}
