import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import { createClient } from '@redis/client';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AppContext, Database } from '../src/common/app-context.js';
import { UsersService } from '../src/identity/index.js';
import { RatesService } from '../src/web/index.js';
import { money } from '../src/web/money.js';
import { sqlDuring } from './support/sql-counter.js';
import { startTestApp } from './support/test-app.js';
import { TEST_PROVIDER_SECRET, TEST_REDIS_URL } from './support/test-env.js';
import { logIn, registerUser, type TestUser } from './support/users.js';

/** Currencies of this file only. */
const CURRENCIES = 'ORA,ORB,ORC,ORD';

interface Order {
  id: string;
  status: string;
  amount: string;
  exchangeRate: string;
  counterAmount: string;
}

describe('orders, payments and the ledger', () => {
  let app: NestFastifyApplication;
  let web: DataSource;
  const redis = createClient({ url: TEST_REDIS_URL });
  const http = () => request(app.getHttpServer());

  /** A user with a web session, and helpers that act as them. */
  async function customer() {
    const user: TestUser = await registerUser(app, 'customer');
    const token = await logIn(app, AppContext.Web, user);
    const auth = { Authorization: `Bearer ${token}` };
    return {
      user,
      token,
      order: async (body: object = { fromCurrency: 'ORA', toCurrency: 'ORB', amount: '100' }) =>
        (await http().post('/web/orders').set(auth).send(body).expect(201)).body as Order,
      post: (path: string, body?: object) => http().post(path).set(auth).send(body),
      get: (path: string) => http().get(path).set(auth),
    };
  }
  const provider = (path: string, body?: object) =>
    http().post(path).set('X-Provider-Secret', TEST_PROVIDER_SECRET).send(body);

  beforeAll(async () => {
    app = await startTestApp({ SUPPORTED_CURRENCIES: CURRENCIES, ORDER_MAX_AMOUNT: '50000' });
    web = app.get<DataSource>(getDataSourceToken(Database.Web));
    await redis.connect();
    const rates = app.get(RatesService);
    await rates.setRate('ORA', 'ORB', '0.5');
    await rates.setRate('ORA', 'ORC', '0.3');
    await rates.setRate('ORB', 'ORA', '1.99999999'); // round trip 0.999999995: sound
    await rates.setRate('ORD', 'ORB', '1999999.99999999'); // no ORB/ORD rate to trip with
  });
  afterAll(async () => {
    await redis.close();
    await app.close();
  });

  describe('placing an order', () => {
    it('locks the current rate and computes the counter amount in decimals', async () => {
      const { order } = await customer();
      expect(await order({ fromCurrency: 'ORA', toCurrency: 'ORC', amount: '0.1' })).toEqual({
        id: expect.any(String),
        fromCurrency: 'ORA',
        toCurrency: 'ORC',
        amount: '0.10000000',
        exchangeRate: '0.30000000',
        counterAmount: '0.03000000', // a float would say 0.030000000000000002
        status: 'pending',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      // Down at the 8th place, in the exchange's favour: 1.00000001 × 0.5 = 0.500000005 → 0.50000000
      expect(
        (await order({ fromCurrency: 'ORA', toCurrency: 'ORB', amount: '1.00000001' }))
          .counterAmount,
      ).toBe('0.50000000');
    });

    it('pays back less than it took in on a round trip, however small the amount', async () => {
      const { order, post } = await customer();
      for (const amount of ['0.00000003', '0.00000007', '1.00000001', '49999.99999999']) {
        const there = await order({ fromCurrency: 'ORA', toCurrency: 'ORB', amount });
        const back = await order({
          fromCurrency: 'ORB',
          toCurrency: 'ORA',
          amount: there.counterAmount,
        });
        expect(money(back.counterAmount).lt(amount)).toBe(true);
      }
      // An amount whose counter amount rounds down to nothing is refused.
      const nothing = await post('/web/orders', {
        fromCurrency: 'ORA',
        toCurrency: 'ORB',
        amount: '0.00000001',
      }).expect(400);
      expect(nothing.body.message).toContain('rounds to 0');
    });

    it('uses a rate set just before, not a cached one', async () => {
      const { order } = await customer();
      await http().get('/web/rates/ORA/ORD').expect(404);
      await app.get(RatesService).setRate('ORA', 'ORD', '2');
      await http().get('/web/rates/ORA/ORD').expect(200);
      await app.get(RatesService).setRate('ORA', 'ORD', '4');
      expect(
        (await order({ fromCurrency: 'ORA', toCurrency: 'ORD', amount: '10' })).counterAmount,
      ).toBe('40.00000000');
    });

    it.each([
      ['a zero amount', { amount: '0' }, 'amount must be greater than 0'],
      ['a negative amount', { amount: '-5' }, 'amount'],
      ['more than 8 decimals', { amount: '1.123456789' }, 'amount'],
      ['an amount above the maximum', { amount: '50000.00000001' }, 'amount must be at most 50000'],
      ['a non-numeric amount', { amount: 'ten' }, 'amount'],
      ['a JSON number for the amount', { amount: 100 }, 'decimal string'],
      ['an exponent', { amount: '1e5' }, 'amount'],
      ['the same currency twice', { toCurrency: 'ORA' }, 'toCurrency must differ'],
      ['an unknown currency', { toCurrency: 'XXX' }, 'toCurrency XXX is not a supported currency'],
      ['a malformed currency', { fromCurrency: 'ora' }, 'fromCurrency'],
      ['a missing field', { amount: undefined }, 'amount'],
      ['an extra field', { rate: '9' }, 'property rate should not exist'],
      [
        'a counter amount too large',
        { fromCurrency: 'ORD', toCurrency: 'ORB', amount: '10000' },
        'counter amount',
      ],
    ])('answers %s with 400 naming the field', async (_, change, message) => {
      const { post } = await customer();
      const body = { fromCurrency: 'ORA', toCurrency: 'ORB', amount: '100', ...change };
      const response = await post('/web/orders', body).expect(400);
      expect(response.body.message).toContain(message);
    });

    it('answers 404 for a supported pair without a rate', async () => {
      const { post } = await customer();
      expect(
        (
          await post('/web/orders', { fromCurrency: 'ORC', toCurrency: 'ORD', amount: '1' }).expect(
            404,
          )
        ).body.message,
      ).toBe('No rate for ORC/ORD');
    });

    it('needs a session and the orders:write permission', async () => {
      await http()
        .post('/web/orders')
        .send({ fromCurrency: 'ORA', toCurrency: 'ORB', amount: '1' })
        .expect(401);
      const { user, post, get } = await customer();
      await app.get(UsersService).revokePermission(user.id, AppContext.Web, 'orders:write');
      expect(
        (
          await post('/web/orders', { fromCurrency: 'ORA', toCurrency: 'ORB', amount: '1' }).expect(
            403,
          )
        ).body.message,
      ).toBe('Missing permission: orders:write');
      await get('/web/orders').expect(200);
    });
  });

  describe('Idempotency-Key', () => {
    it('returns the same order for the same key and body, and 409 for another body', async () => {
      const { token } = await customer();
      const key = randomUUID();
      const send = (amount: string) =>
        http()
          .post('/web/orders')
          .set('Authorization', `Bearer ${token}`)
          .set('Idempotency-Key', key)
          .send({ fromCurrency: 'ORA', toCurrency: 'ORB', amount });
      const first = await send('100').expect(201);
      const again = await send('100.00').expect(201);
      expect(again.body).toEqual(first.body);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect((await send('101').expect(409)).body.message).toMatch(/Idempotency-Key/);
    });

    it('creates one order when the same key arrives 10 times at once', async () => {
      const { token, get } = await customer();
      const key = randomUUID();
      const responses = await Promise.all(
        Array.from({ length: 10 }, () =>
          http()
            .post('/web/orders')
            .set('Authorization', `Bearer ${token}`)
            .set('Idempotency-Key', key)
            .send({ fromCurrency: 'ORA', toCurrency: 'ORB', amount: '5' }),
        ),
      );
      expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
      expect(new Set(responses.map((r) => (r.body as Order).id)).size).toBe(1);
      expect((await get('/web/orders').expect(200)).body).toHaveLength(1);
    });

    it('answers a malformed key with 400', async () => {
      const { token } = await customer();
      await http()
        .post('/web/orders')
        .set('Authorization', `Bearer ${token}`)
        .set('Idempotency-Key', 'x'.repeat(256))
        .send({ fromCurrency: 'ORA', toCurrency: 'ORB', amount: '5' })
        .expect(400);
    });
  });

  describe('reading orders', () => {
    it('lists the user’s orders newest first, paginated, through cache:web:orders:{userId}', async () => {
      const { user, order, get } = await customer();
      const placed: Order[] = [];
      for (let index = 0; index < 5; index++) placed.push(await order());
      const all = (await get('/web/orders').expect(200)).body as Order[];
      expect(all.map((o) => o.id)).toEqual(placed.map((o) => o.id).reverse());
      const page = (await get('/web/orders?limit=2&offset=1').expect(200)).body as Order[];
      expect(page.map((o) => o.id)).toEqual([placed[3]?.id, placed[2]?.id]);
      const beyondTheCachedPage = (await get('/web/orders?limit=30&offset=3').expect(200))
        .body as Order[];
      expect(beyondTheCachedPage.map((o) => o.id)).toEqual([placed[1]?.id, placed[0]?.id]);
      await sleep(3_100); // placing orders just invalidated the list: refills wait 3 s
      await get('/web/orders').expect(200);
      expect(await sqlDuring(() => get('/web/orders').expect(200))).toEqual([]);
      expect(await redis.pTTL(`cache:web:orders:${user.id}`)).toBeGreaterThan(29 * 60_000);
    });

    it('shows a change of any of the user’s orders on the next read: create, cancel, payment', async () => {
      const { order, get, post } = await customer();
      const first = await order();
      await get('/web/orders').expect(200);
      const second = await order();
      expect(((await get('/web/orders').expect(200)).body as Order[]).map((o) => o.id)).toEqual([
        second.id,
        first.id,
      ]);
      await post(`/web/orders/${first.id}/cancel`).expect(200);
      expect(((await get('/web/orders').expect(200)).body as Order[])[1]?.status).toBe('cancelled');
      const payment = (
        await post(`/web/orders/${second.id}/payments`, { paymentMethod: 'card' }).expect(201)
      ).body;
      await provider(`/web/provider/payments/${payment.id}`, { status: 'completed' }).expect(200);
      expect(((await get('/web/orders').expect(200)).body as Order[])[0]?.status).toBe('paid');
    });

    it('does not show another user’s order: not in the list, 404 on get, cancel and pay', async () => {
      const alice = await customer();
      const bob = await customer();
      const hers = await alice.order();
      expect((await bob.get('/web/orders').expect(200)).body).toEqual([]);
      const missing = await bob.get(`/web/orders/${randomUUID()}`).expect(404);
      const foreign = await bob.get(`/web/orders/${hers.id}`).expect(404);
      expect(foreign.body.message).toBe(missing.body.message);
      await bob.post(`/web/orders/${hers.id}/cancel`).expect(404);
      await bob.post(`/web/orders/${hers.id}/payments`, { paymentMethod: 'card' }).expect(404);
      expect((await alice.get(`/web/orders/${hers.id}`).expect(200)).body.status).toBe('pending');
    });

    it.each(['not-a-uuid', '..%2F..%2Fadmin', "1' OR '1'='1"])(
      'answers a malformed id (%s) with 400',
      async (id) => {
        const { get } = await customer();
        await get(`/web/orders/${id}`).expect(400);
      },
    );

    it('answers 400 for bad pagination', async () => {
      const { get } = await customer();
      for (const query of ['limit=0', 'limit=101', 'offset=-1', 'limit=ten', 'page=2']) {
        await get(`/web/orders?${query}`).expect(400);
      }
    });
  });

  describe('the status machine', () => {
    it('runs pending → paid → completed, booking the ledger at each step', async () => {
      const { order, post } = await customer();
      const placed = await order({ fromCurrency: 'ORA', toCurrency: 'ORB', amount: '100' });
      const payment = (
        await post(`/web/orders/${placed.id}/payments`, { paymentMethod: 'card' }).expect(201)
      ).body;
      expect(payment).toEqual(
        expect.objectContaining({ amount: '100.00000000', currency: 'ORA', status: 'pending' }),
      );
      await post(`/web/orders/${placed.id}/payments`, { paymentMethod: 'card' }).expect(409);
      const confirmed = await provider(`/web/provider/payments/${payment.id}`, {
        status: 'completed',
      }).expect(200);
      expect(confirmed.body.status).toBe('completed');
      await provider(`/web/provider/payments/${payment.id}`, { status: 'completed' }).expect(409);
      await post(`/web/orders/${placed.id}/cancel`).expect(409);
      const completed = await provider(`/web/provider/orders/${placed.id}/payout`).expect(200);
      expect(completed.body.status).toBe('completed');
      await provider(`/web/provider/orders/${placed.id}/payout`).expect(409);
      expect(await ledgerOf(placed.id)).toEqual([
        { entry_type: 'payment_received', currency: 'ORA', amount: '100.00000000' },
        { entry_type: 'payout_sent', currency: 'ORB', amount: '50.00000000' },
      ]);
    });

    it('fails the order when its payment fails, with nothing in the ledger', async () => {
      const { order, post, get } = await customer();
      const placed = await order();
      const payment = (
        await post(`/web/orders/${placed.id}/payments`, { paymentMethod: 'card' }).expect(201)
      ).body;
      await provider(`/web/provider/payments/${payment.id}`, { status: 'failed' }).expect(200);
      expect((await get(`/web/orders/${placed.id}`).expect(200)).body.status).toBe('failed');
      await provider(`/web/provider/orders/${placed.id}/payout`).expect(409);
      expect(await ledgerOf(placed.id)).toEqual([]);
    });

    it('refunds a payment that completes after the order was cancelled', async () => {
      const { order, post, get } = await customer();
      const placed = await order();
      const payment = (
        await post(`/web/orders/${placed.id}/payments`, { paymentMethod: 'card' }).expect(201)
      ).body;
      await post(`/web/orders/${placed.id}/cancel`).expect(200);
      await provider(`/web/provider/payments/${payment.id}`, { status: 'completed' }).expect(200);
      expect((await get(`/web/orders/${placed.id}`).expect(200)).body.status).toBe('cancelled');
      expect(await ledgerOf(placed.id)).toEqual([
        { entry_type: 'payment_received', currency: 'ORA', amount: '100.00000000' },
        { entry_type: 'refund', currency: 'ORA', amount: '100.00000000' },
      ]);
    });

    it('leaves exactly one transition when 20 cancels arrive at once', async () => {
      const { order, post } = await customer();
      const placed = await order();
      const statuses = (
        await Promise.all(Array.from({ length: 20 }, () => post(`/web/orders/${placed.id}/cancel`)))
      ).map((response) => response.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 409)).toHaveLength(19);
    });

    it('books one payment when 20 confirmations arrive at once', async () => {
      const { order, post } = await customer();
      const placed = await order();
      const payment = (
        await post(`/web/orders/${placed.id}/payments`, { paymentMethod: 'card' }).expect(201)
      ).body;
      const statuses = (
        await Promise.all(
          Array.from({ length: 20 }, (_, index) =>
            provider(`/web/provider/payments/${payment.id}`, {
              status: index % 2 === 0 ? 'completed' : 'failed',
            }),
          ),
        )
      ).map((response) => response.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 409)).toHaveLength(19);
      const ledger = await ledgerOf(placed.id);
      expect(ledger.length).toBeLessThanOrEqual(1);
    });

    it('refuses confirmations without the provider secret', async () => {
      const { order, post } = await customer();
      const placed = await order();
      const payment = (
        await post(`/web/orders/${placed.id}/payments`, { paymentMethod: 'card' }).expect(201)
      ).body;
      await http()
        .post(`/web/provider/payments/${payment.id}`)
        .send({ status: 'completed' })
        .expect(403);
      await http()
        .post(`/web/provider/payments/${payment.id}`)
        .set('X-Provider-Secret', 'guess')
        .send({ status: 'completed' })
        .expect(403);
      await provider(`/web/provider/payments/${payment.id}`, { status: 'refunded' }).expect(400);
      await provider(`/web/provider/payments/${randomUUID()}`, { status: 'completed' }).expect(404);
    });
  });

  it('keeps every order’s ledger in line with its status', async () => {
    const rows: Array<{
      id: string;
      status: string;
      amount: string;
      counter_amount: string;
      ledger: string[] | null;
    }> = await web.query(
      `SELECT o.id, o.status, o.amount, o.counter_amount,
                array_agg(t.entry_type || ':' || t.amount ORDER BY t.entry_type) FILTER (WHERE t.id IS NOT NULL) AS ledger
         FROM orders o LEFT JOIN transactions t ON t.order_id = o.id
         WHERE o.from_currency LIKE 'OR_' GROUP BY o.id`,
    );
    expect(rows.length).toBeGreaterThan(10);
    for (const row of rows) {
      const ledger = row.ledger ?? [];
      const expected = {
        pending: [[]],
        failed: [[]],
        cancelled: [[], [`payment_received:${row.amount}`, `refund:${row.amount}`]],
        paid: [[`payment_received:${row.amount}`]],
        completed: [[`payment_received:${row.amount}`, `payout_sent:${row.counter_amount}`]],
      }[row.status];
      expect(expected).toContainEqual(ledger);
    }
  });

  it('refuses to change or delete a ledger row', async () => {
    await expect(web.query(`UPDATE transactions SET amount = 1 WHERE true`)).rejects.toThrow(
      /append-only/,
    );
    await expect(web.query(`DELETE FROM transactions WHERE true`)).rejects.toThrow(/append-only/);
  });

  async function ledgerOf(orderId: string) {
    const rows: Array<{ entry_type: string; currency: string; amount: string }> = await web.query(
      'SELECT entry_type, currency, amount FROM transactions WHERE order_id = $1 ORDER BY created_at, entry_type',
      [orderId],
    );
    return rows;
  }
});
