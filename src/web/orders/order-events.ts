import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type OutboxMessage, OutboxRelay } from '../../database/outbox.js';
import type { OrderStatus } from '../entities/index.js';
import { WebOutbox } from '../records/web-outbox.js';

/** The outbox topic (web database) of order status changes. */
const ORDER_STATUS_TOPIC = 'order.status';

/** One status change of an order, as other applications hear it. Amounts are decimal strings. */
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

/** A status change as delivered: `id` is unique, so a listener takes each change once. */
export type OrderEvent = OutboxMessage<OrderStatusChanged>;

/**
 * Order status changes, as the web application publishes them to other applications (the bot
 * notifies the customer). A change is recorded in the transaction that makes it (the web
 * database's outbox) and heard by listeners at least once, in order, after it commits; while
 * a listener fails, its changes wait in the outbox.
 */
@Injectable()
export class OrderEvents {
  constructor(private readonly outbox: WebOutbox) {}

  /** Records a change inside the transaction that makes it. */
  async record(manager: EntityManager, change: OrderStatusChanged): Promise<void> {
    await this.outbox.add(manager, ORDER_STATUS_TOPIC, change);
  }

  /**
   * A relay handing recorded changes to `receive` in batches, every `intervalMs` and when
   * nudged; the caller starts and stops it with its own lifecycle.
   */
  listen(
    receive: (events: readonly OrderEvent[]) => Promise<void>,
    intervalMs: number,
  ): OutboxRelay<OrderStatusChanged> {
    return new OutboxRelay(this.outbox, ORDER_STATUS_TOPIC, receive, intervalMs);
  }
}
