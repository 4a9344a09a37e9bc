import { UsersService } from '@exchanger/identity';
import { Injectable } from '@nestjs/common';
import { Conflict, InvalidInput, NotAllowed, NotFound } from '../../common/domain-error.js';
import { ConfigService } from '@nestjs/config';
import { createHash } from 'node:crypto';
import { type DataSource, type EntityManager, QueryFailedError } from 'typeorm';
import { AppContext, CONTEXTS } from '../../common/app-context.js';
import type { AppConfig } from '../../config/app-config.js';
import { InjectStore, type NamespacedStore } from '../../redis/index.js';
import { AnalyticsService } from '../analytics/analytics.service.js';
import { WebCacheKeys } from '../cache-keys.js';
import { LedgerEntryType, OrderStatus, PaymentStatus } from '../entities/index.js';
import { canonical, convert, money } from '../money.js';
import { RatesService } from '../rates/rates.service.js';
import { WebSettings } from '../settings/web-settings.js';
import { OrderEvents, type OrderStatusChanged } from './order-events.js';
import { InjectWebDataSource } from '../../database/data-sources/web.js';

/** What an order is placed for; with `expectedRate`, only at that rate. */
export interface NewOrder {
  fromCurrency: string;
  toCurrency: string;
  amount: string;
  /** The rate the customer was shown (a decimal string), compared as a decimal. */
  expectedRate?: string;
}

/**
 * `rate_changed` (409 over HTTP): the rate in force is not the one the customer was shown,
 * so nothing is placed; the customer orders again at the new rate.
 */
export class RateChanged extends Conflict {
  constructor(
    from: string,
    to: string,
    expected: string,
    readonly currentRate: string,
  ) {
    super(
      `The ${from}/${to} rate changed: it is ${currentRate}, not ${canonical(expected)}. Nothing was placed; order again.`,
      'rate_changed',
    );
  }
}

/** The payment provider's signed delivery about one payment. */
export interface PaymentDelivery {
  paymentId: string;
  status: PaymentStatus.Completed | PaymentStatus.Failed;
  amount: string;
  currency: string;
  reference: string;
}

function isUniqueViolation(error: unknown, constraint: string): boolean {
  const cause = error instanceof QueryFailedError ? (error.driverError as object) : undefined;
  return (
    (cause as { code?: string } | undefined)?.code === '23505' &&
    (cause as { constraint?: string }).constraint === constraint
  );
}

/** A user's order list is cached 30 minutes (and invalidated on every change). */
const ORDERS_CACHE_MS = 30 * 60_000;
/**
 * The cached list is the first page at the default size, the request nearly every client
 * makes; it is sent as stored. Other pages within it are sliced from it, the rest read
 * from the database.
 */
export const ORDERS_PAGE_SIZE = 20;

export interface OrderView {
  id: string;
  fromCurrency: string;
  toCurrency: string;
  amount: string;
  exchangeRate: string;
  counterAmount: string;
  status: OrderStatus;
  createdAt: string;
  updatedAt: string;
}

export interface PaymentView {
  id: string;
  orderId: string;
  paymentMethod: string;
  amount: string;
  currency: string;
  status: PaymentStatus;
  createdAt: string;
  confirmedAt: string | null;
  /** The payment provider's id of the transaction, once it confirmed the outcome. */
  providerReference: string | null;
}

interface OrderRow {
  id: string;
  user_id: string;
  from_currency: string;
  to_currency: string;
  amount: string;
  exchange_rate: string;
  counter_amount: string;
  status: OrderStatus;
  created_at: Date;
  updated_at: Date;
  request_hash: string | null;
}

interface PaymentRow {
  id: string;
  order_id: string;
  user_id: string;
  payment_method: string;
  amount: string;
  status: PaymentStatus;
  created_at: Date;
  confirmed_at: Date | null;
  provider_reference: string | null;
}

const PAYMENT_COLUMNS = `id, order_id, user_id, payment_method, amount, status, created_at,
  confirmed_at, provider_reference`;
const PAYMENT_COLUMNS_OF_P = PAYMENT_COLUMNS.replace(/(\w+)/g, 'p.$1');
/** The unique index that keeps one provider reference to one payment. */
const PROVIDER_REFERENCE_KEY = 'UQ_payments_provider_reference';

const ORDER_COLUMNS = `id, user_id, from_currency, to_currency, amount, exchange_rate, counter_amount,
  status, created_at, updated_at, request_hash`;

function orderView(row: OrderRow): OrderView {
  return {
    id: row.id,
    fromCurrency: row.from_currency,
    toCurrency: row.to_currency,
    amount: row.amount,
    exchangeRate: row.exchange_rate,
    counterAmount: row.counter_amount,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function paymentView(row: PaymentRow, currency: string): PaymentView {
  return {
    id: row.id,
    orderId: row.order_id,
    paymentMethod: row.payment_method,
    amount: row.amount,
    currency,
    status: row.status,
    createdAt: row.created_at.toISOString(),
    confirmedAt: row.confirmed_at?.toISOString() ?? null,
    providerReference: row.provider_reference,
  };
}

const NO_SUCH_ORDER = 'No such order';

/**
 * Orders, their payments and the ledger. Every status change is one conditional UPDATE
 * (`… WHERE status = <expected>`) inside a transaction that also writes its ledger rows,
 * so concurrent cancels or confirmations leave exactly one transition, and the ledger's
 * unique (order, entry type) key makes a double booking impossible.
 *
 * Status machine: pending → paid (payment completed) → completed (payout sent);
 * pending → cancelled (by the customer); pending → failed (payment failed).
 * Ledger: paid = payment_received(amount, from-currency); completed adds
 * payout_sent(counter amount, to-currency); a payment completed for an order no longer
 * pending is received and refunded (payment_received + refund, same amount).
 */
/** The code of the refusal to a user whose email is not verified, for clients that act on it. */
export const EMAIL_NOT_VERIFIED = 'email_not_verified';

@Injectable()
export class OrdersService {
  private readonly maxAmount: string;

  constructor(
    @InjectWebDataSource() private readonly dataSource: DataSource,
    @InjectStore(CONTEXTS[AppContext.Web].cacheNamespace) private readonly cache: NamespacedStore,
    private readonly rates: RatesService,
    private readonly analytics: AnalyticsService,
    private readonly events: OrderEvents,
    private readonly settings: WebSettings,
    private readonly users: UsersService,
    config: ConfigService<AppConfig, true>,
  ) {
    this.maxAmount = config.get('exchange', { infer: true }).maxOrderAmount;
  }

  /**
   * Places an order at the current rate, locked into it. With an idempotency key, the same
   * key and body return the first order (`replayed`); another body with that key is a 409.
   */
  async create(
    userId: string,
    input: NewOrder,
    idempotencyKey: string | undefined,
  ): Promise<{ order: OrderView; replayed: boolean }> {
    const { fromCurrency: from, toCurrency: to, expectedRate } = input;
    this.rates.checkPair(from, to, ['fromCurrency', 'toCurrency']);
    const amount = money(input.amount);
    if (amount.lte(0)) throw new InvalidInput('amount must be greater than 0');
    if (amount.gt(this.maxAmount))
      throw new InvalidInput(`amount must be at most ${this.maxAmount}`);
    if (expectedRate !== undefined && money(expectedRate).lte(0))
      throw new InvalidInput('expectedRate must be greater than 0');
    // The expected rate is part of the request: the same key with another one is a 409.
    const requestHash = createHash('sha256')
      .update(`${from}|${to}|${canonical(input.amount)}`)
      .update(expectedRate === undefined ? '' : `|${canonical(expectedRate)}`)
      .digest('hex');

    if (idempotencyKey !== undefined) {
      const earlier = await this.findByKey(this.dataSource.manager, userId, idempotencyKey);
      if (earlier !== undefined)
        return { order: this.replay(earlier, requestHash), replayed: true };
    }
    const result = await this.dataSource.transaction(async (manager) => {
      await this.requireAllowedToOrder(manager, userId);
      const rate = await this.rates.currentInTransaction(manager, from, to);
      if (rate === undefined) throw new NotFound(`No rate for ${from}/${to}`);
      if (expectedRate !== undefined && !money(rate.rate).eq(expectedRate))
        throw new RateChanged(from, to, expectedRate, rate.rate);
      const counterAmount = convert(input.amount, rate.rate);
      if (counterAmount === undefined) {
        throw new InvalidInput(
          'amount gives a counter amount that rounds to 0 or does not fit 10 integer digits and 8 decimals',
        );
      }
      const rows: OrderRow[] = await manager.query(
        `INSERT INTO orders (user_id, from_currency, to_currency, amount, exchange_rate, counter_amount, idempotency_key, request_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (user_id, idempotency_key) DO NOTHING
         RETURNING ${ORDER_COLUMNS}`,
        [
          userId,
          from,
          to,
          canonical(input.amount),
          rate.rate,
          counterAmount,
          idempotencyKey ?? null,
          requestHash,
        ],
      );
      const created = rows[0];
      if (created === undefined) return undefined; // the same key won a race: replay it below
      await this.analytics.record(manager, 'order.created', userId, {
        orderId: created.id,
        from,
        to,
      });
      return created;
    });
    if (result === undefined) {
      const winner = await this.findByKey(
        this.dataSource.manager,
        userId,
        idempotencyKey as string,
      );
      return { order: this.replay(winner as OrderRow, requestHash), replayed: true };
    }
    await this.forgetOrdersOf(userId);
    return { order: orderView(result), replayed: false };
  }

  /** The user's orders, newest first. */
  /** With `orders.requireVerifiedEmail` on, only a user whose email is verified may order. */
  private async requireAllowedToOrder(manager: EntityManager, userId: string): Promise<void> {
    if (!(await this.settings.get('orders.requireVerifiedEmail', manager))) return;
    if ((await this.users.get(userId)).emailVerified) return;
    throw new NotAllowed(
      'Placing orders needs a verified email address: open the link in the verification mail, or ask for a new one (POST /web/auth/verify-email/resend)',
      EMAIL_NOT_VERIFIED,
    );
  }

  async list(userId: string, limit: number, offset: number): Promise<OrderView[]> {
    return JSON.parse(await this.listJson(userId, limit, offset)) as OrderView[];
  }

  /**
   * The same as JSON text, for the HTTP edge to send as it is; the first page is read
   * through the cache, which keeps it as text.
   */
  async listJson(userId: string, limit: number, offset: number): Promise<string> {
    if (offset + limit > ORDERS_PAGE_SIZE)
      return JSON.stringify(await this.loadOrders(userId, limit, offset));
    const firstPage = await this.cache.readThroughJson(
      WebCacheKeys.orders(userId),
      ORDERS_CACHE_MS,
      () => this.loadOrders(userId, ORDERS_PAGE_SIZE, 0),
    );
    if (offset === 0 && limit === ORDERS_PAGE_SIZE) return firstPage;
    return JSON.stringify((JSON.parse(firstPage) as OrderView[]).slice(offset, offset + limit));
  }

  /** Another user's order is not found, exactly like a missing one. */
  async get(userId: string, orderId: string): Promise<OrderView> {
    const rows: OrderRow[] = await this.dataSource.query(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1 AND user_id = $2`,
      [orderId, userId],
    );
    if (rows[0] === undefined) throw new NotFound(NO_SUCH_ORDER);
    return orderView(rows[0]);
  }

  async cancel(userId: string, orderId: string): Promise<OrderView> {
    const order = await this.dataSource.transaction(async (manager) => {
      const rows: OrderRow[] = await manager.query(
        `WITH cancelled AS (
           UPDATE orders SET status = $3, updated_at = now()
           WHERE id = $1 AND user_id = $2 AND status = $4 RETURNING ${ORDER_COLUMNS})
         SELECT * FROM cancelled`,
        [orderId, userId, OrderStatus.Cancelled, OrderStatus.Pending],
      );
      if (rows[0] === undefined) await this.refuseTransition(manager, orderId, userId, 'cancelled');
      await this.analytics.record(manager, 'order.cancelled', userId, { orderId });
      await this.announce(manager, rows[0] as OrderRow, OrderStatus.Cancelled);
      return rows[0] as OrderRow;
    });
    await this.forgetOrdersOf(userId);
    return orderView(order);
  }

  /** A pending payment of the order amount; one at a time per order. */
  async createPayment(
    userId: string,
    orderId: string,
    paymentMethod: string,
  ): Promise<PaymentView> {
    return this.dataSource.transaction(async (manager) => {
      const orders: OrderRow[] = await manager.query(
        `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1 AND user_id = $2 FOR UPDATE`,
        [orderId, userId],
      );
      const order = orders[0];
      if (order === undefined) throw new NotFound(NO_SUCH_ORDER);
      if (order.status !== OrderStatus.Pending) {
        throw new Conflict(`The order is ${order.status}; only a pending order can be paid`);
      }
      const pending: unknown[] = await manager.query(
        'SELECT 1 FROM payments WHERE order_id = $1 AND status = $2',
        [orderId, PaymentStatus.Pending],
      );
      if (pending.length > 0) throw new Conflict('A payment of this order is already pending');
      const rows: PaymentRow[] = await manager.query(
        `INSERT INTO payments (order_id, user_id, payment_method, amount) VALUES ($1, $2, $3, $4)
         RETURNING ${PAYMENT_COLUMNS}`,
        [orderId, userId, paymentMethod, order.amount],
      );
      return paymentView(rows[0] as PaymentRow, order.from_currency);
    });
  }

  /**
   * The payment provider's signed word on a payment. It must name the payment's amount and
   * currency (else 409, nothing changes). A pending payment takes the outcome and keeps the
   * provider's reference; one already confirmed with this reference and outcome is the same
   * delivery again and is answered as it was (`replayed`), without acting twice; any other
   * delivery for it is a 409, so a replay cannot flip an outcome.
   */
  async confirmPayment(
    paymentId: string,
    delivery: PaymentDelivery,
  ): Promise<{ payment: PaymentView; replayed: boolean }> {
    if (delivery.paymentId !== paymentId)
      throw new InvalidInput('paymentId must be the payment in the URL');
    const outcome = delivery.status;
    const { payment, currency, changed } = await this.dataSource
      .transaction(async (manager) => {
        const found: Array<PaymentRow & { currency: string }> = await manager.query(
          `SELECT ${PAYMENT_COLUMNS_OF_P}, o.from_currency AS currency
           FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.id = $1 FOR UPDATE OF p`,
          [paymentId],
        );
        const known = found[0];
        if (known === undefined) throw new NotFound('No such payment');
        if (delivery.currency !== known.currency || !money(delivery.amount).eq(known.amount)) {
          throw new Conflict(
            `The delivery says ${delivery.amount} ${delivery.currency}; the payment is ${known.amount} ${known.currency}`,
          );
        }
        if (known.status !== PaymentStatus.Pending) {
          if (known.status === outcome && known.provider_reference === delivery.reference)
            return { payment: known, currency: known.currency, changed: undefined };
          throw new Conflict(`The payment is already ${known.status}`);
        }
        const payments: PaymentRow[] = await manager.query(
          `WITH confirmed AS (
             UPDATE payments SET status = $2, confirmed_at = now(), provider_reference = $3
             WHERE id = $1 RETURNING ${PAYMENT_COLUMNS})
           SELECT * FROM confirmed`,
          [paymentId, outcome, delivery.reference],
        );
        const confirmed = payments[0] as PaymentRow;
        const orders: OrderRow[] = await manager.query(
          `SELECT ${ORDER_COLUMNS} FROM orders WHERE id = $1 FOR UPDATE`,
          [confirmed.order_id],
        );
        const target = orders[0] as OrderRow;
        if (outcome === PaymentStatus.Failed) {
          if (target.status === OrderStatus.Pending) {
            await this.setStatus(manager, target.id, OrderStatus.Failed);
            await this.announce(manager, target, OrderStatus.Failed);
          }
        } else {
          await this.book(manager, target, LedgerEntryType.PaymentReceived, confirmed);
          if (target.status === OrderStatus.Pending) {
            await this.setStatus(manager, target.id, OrderStatus.Paid);
            await this.announce(manager, target, OrderStatus.Paid);
            await this.analytics.record(manager, 'order.paid', target.user_id, {
              orderId: target.id,
            });
          } else {
            // Money arrived for an order that is no longer payable: it goes straight back.
            await this.book(manager, target, LedgerEntryType.Refund, confirmed);
          }
        }
        return { payment: confirmed, currency: known.currency, changed: target };
      })
      .catch((error: unknown) => {
        if (isUniqueViolation(error, PROVIDER_REFERENCE_KEY)) {
          throw new Conflict('This provider reference already confirmed another payment');
        }
        throw error;
      });
    if (changed !== undefined) await this.forgetOrdersOf(changed.user_id);
    return { payment: paymentView(payment, currency), replayed: changed === undefined };
  }

  /** The provider's confirmation that the exchanged amount was sent: paid → completed. */
  async confirmPayout(orderId: string): Promise<OrderView> {
    const order = await this.dataSource.transaction(async (manager) => {
      const rows: OrderRow[] = await manager.query(
        `WITH completed AS (
           UPDATE orders SET status = $2, updated_at = now() WHERE id = $1 AND status = $3
           RETURNING ${ORDER_COLUMNS})
         SELECT * FROM completed`,
        [orderId, OrderStatus.Completed, OrderStatus.Paid],
      );
      if (rows[0] === undefined)
        await this.refuseTransition(manager, orderId, undefined, 'completed');
      const completed = rows[0] as OrderRow;
      await this.book(manager, completed, LedgerEntryType.PayoutSent);
      await this.announce(manager, completed, OrderStatus.Completed);
      return completed;
    });
    await this.forgetOrdersOf(order.user_id);
    return orderView(order);
  }

  private async book(
    manager: EntityManager,
    order: OrderRow,
    type: LedgerEntryType,
    payment?: PaymentRow,
  ): Promise<void> {
    const payout = type === LedgerEntryType.PayoutSent;
    await manager.query(
      `INSERT INTO transactions (order_id, payment_id, user_id, entry_type, currency, amount)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        order.id,
        payment?.id ?? null,
        order.user_id,
        type,
        payout ? order.to_currency : order.from_currency,
        payout ? order.counter_amount : (payment?.amount ?? order.amount),
      ],
    );
  }

  /** Tells other applications of a status change, in the transaction that makes it. */
  private async announce(
    manager: EntityManager,
    order: OrderRow,
    status: OrderStatus,
  ): Promise<void> {
    const message: OrderStatusChanged = {
      orderId: order.id,
      userId: order.user_id,
      status,
      fromCurrency: order.from_currency,
      toCurrency: order.to_currency,
      amount: order.amount,
      counterAmount: order.counter_amount,
      changedAt: new Date().toISOString(),
    };
    await this.events.record(manager, message);
  }

  private async setStatus(
    manager: EntityManager,
    orderId: string,
    status: OrderStatus,
  ): Promise<void> {
    await manager.query('UPDATE orders SET status = $2, updated_at = now() WHERE id = $1', [
      orderId,
      status,
    ]);
  }

  /** Why a conditional transition did not happen: 404 for no (visible) order, else 409. */
  private async refuseTransition(
    manager: EntityManager,
    orderId: string,
    userId: string | undefined,
    to: string,
  ): Promise<never> {
    const rows: Array<{ status: string }> = await manager.query(
      `SELECT status FROM orders WHERE id = $1 ${userId === undefined ? '' : 'AND user_id = $2'}`,
      userId === undefined ? [orderId] : [orderId, userId],
    );
    if (rows[0] === undefined) throw new NotFound(NO_SUCH_ORDER);
    throw new Conflict(`The order is ${rows[0].status}; it cannot become ${to}`);
  }

  private replay(earlier: OrderRow, requestHash: string): OrderView {
    if (earlier.request_hash !== requestHash) {
      throw new Conflict('This Idempotency-Key was used with a different request');
    }
    return orderView(earlier);
  }

  private async findByKey(
    manager: EntityManager,
    userId: string,
    key: string,
  ): Promise<OrderRow | undefined> {
    const rows: OrderRow[] = await manager.query(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE user_id = $1 AND idempotency_key = $2`,
      [userId, key],
    );
    return rows[0];
  }

  private async loadOrders(userId: string, limit: number, offset: number): Promise<OrderView[]> {
    const rows: OrderRow[] = await this.dataSource.query(
      `SELECT ${ORDER_COLUMNS} FROM orders WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3`,
      [userId, limit, offset],
    );
    return rows.map(orderView);
  }

  private async forgetOrdersOf(userId: string): Promise<void> {
    await this.cache.invalidate(WebCacheKeys.orders(userId));
  }
}
