import type { OrderStatus } from '../entities/index.js';

/**
 * The outbox topic (web database) of order status changes, for other applications to hear
 * of them (the bot notifies the customer). Recorded in the transaction of the change.
 */
export const ORDER_STATUS_TOPIC = 'order.status';

/** One status change of an order, as recorded in the outbox. Amounts are decimal strings. */
export interface OrderStatusChanged {
  readonly orderId: string;
  readonly userId: string;
  readonly status: OrderStatus;
  readonly fromCurrency: string;
  readonly toCurrency: string;
  readonly amount: string;
  readonly counterAmount: string;
  /** ISO 8601. */
  readonly changedAt: string;
}
