import { UsersService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import { createClient } from '@redis/client';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AppContext, Database } from '../src/common/app-context.js';
import { RatesService } from '../src/web/index.js';
import { money } from '../src/web/money.js';
import { sqlDuring } from './support/sql-counter.js';
import { startTestApp } from './support/test-app.js';
import {
  confirmPayment,
  confirmPayout,
  type PaymentToConfirm,
  paymentDelivery,
  providerHeaders,
  providerPost,
} from './support/provider.js';
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

    it('places an order whose expectedRate is the rate (compared as decimals), and refuses a stale one with 409 rate_changed, creating nothing', async () => {
      const { user, order, post, get } = await customer();
      const rates = app.get(RatesService);
      await rates.setRate('ORB', 'ORC', '1234567890.1234567');
      const pair = { fromCurrency: 'ORB', toCurrency: 'ORC', amount: '0.01' };
      // Written otherwise, the same decimal: placed at it.
      const placed = await order({ ...pair, expectedRate: '1234567890.1234567' });
      expect(placed).toMatchObject({
        exchangeRate: '1234567890.12345670',
        counterAmount: '12345678.90123456',
      });
      // Equal as floats, not as decimals: refused.
      const nearly = await post('/web/orders', {
        ...pair,
        expectedRate: '1234567890.12345671',
      }).expect(409);
      expect(nearly.body).toMatchObject({ statusCode: 409, code: 'rate_changed' });
      // Staff change the rate after the customer saw it: refused, naming both rates.
      await rates.setRate('ORB', 'ORC', '0.5');
      const stale = await post('/web/orders', {
        ...pair,
        expectedRate: '1234567890.1234567',
      }).expect(409);
      expect(stale.body).toEqual({
        statusCode: 409,
        error: 'Conflict',
        code: 'rate_changed',
        message:
          'The ORB/ORC rate changed: it is 0.50000000, not 1234567890.12345670. Nothing was placed; order again.',
        requestId: expect.any(String),
      });
      // Nothing was created by either refusal (read from the database, not the cached list).
      expect(await web.query('SELECT id FROM orders WHERE user_id = $1', [user.id])).toEqual([
        { id: placed.id },
      ]);
      expect(((await get('/web/orders').expect(200)).body as Order[]).map((o) => o.id)).toEqual([
        placed.id,
      ]);
      // Ordered again at the new rate, it is placed at that rate.
      expect((await order({ ...pair, amount: '10', expectedRate: '0.50' })).exchangeRate).toBe(
        '0.50000000',
      );
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
      ['a malformed expectedRate', { expectedRate: '0.9.2' }, 'expectedRate must be a decimal'],
      ['a JSON number for the expectedRate', { expectedRate: 0.5 }, 'expectedRate'],
      ['a negative expectedRate', { expectedRate: '-0.5' }, 'expectedRate'],
      ['a zero expectedRate', { expectedRate: '0' }, 'expectedRate must be greater than 0'],
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
      await confirmPayment(app, payment, 'completed').expect(200);
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
      const confirmed = await confirmPayment(app, payment, 'completed').expect(200);
      expect(confirmed.body.status).toBe('completed');
      await confirmPayment(app, payment, 'completed').expect(409);
      await post(`/web/orders/${placed.id}/cancel`).expect(409);
      const completed = await confirmPayout(app, placed.id).expect(200);
      expect(completed.body.status).toBe('completed');
      await confirmPayout(app, placed.id).expect(409);
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
      await confirmPayment(app, payment, 'failed').expect(200);
      expect((await get(`/web/orders/${placed.id}`).expect(200)).body.status).toBe('failed');
      await confirmPayout(app, placed.id).expect(409);
      expect(await ledgerOf(placed.id)).toEqual([]);
    });

    it('refunds a payment that completes after the order was cancelled', async () => {
      const { order, post, get } = await customer();
      const placed = await order();
      const payment = (
        await post(`/web/orders/${placed.id}/payments`, { paymentMethod: 'card' }).expect(201)
      ).body;
      await post(`/web/orders/${placed.id}/cancel`).expect(200);
      await confirmPayment(app, payment, 'completed').expect(200);
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
            confirmPayment(app, payment, index % 2 === 0 ? 'completed' : 'failed'),
          ),
        )
      ).map((response) => response.status);
      expect(statuses.filter((status) => status === 200)).toHaveLength(1);
      expect(statuses.filter((status) => status === 409)).toHaveLength(19);
      const ledger = await ledgerOf(placed.id);
      expect(ledger.length).toBeLessThanOrEqual(1);
    });
  });

  describe("the payment provider's signed webhook", () => {
    /** A pending order of 100 ORA with a pending payment, as the customer leaves it. */
    async function pendingPayment() {
      const { order, post } = await customer();
      const placed = await order();
      const payment = (
        await post(`/web/orders/${placed.id}/payments`, { paymentMethod: 'card' }).expect(201)
      ).body as PaymentToConfirm;
      return { placed, payment };
    }

    /** Nothing moved: the payment pending without a reference, the order pending, no ledger row. */
    async function expectUntouched(orderId: string, paymentId: string) {
      expect(
        await web.query('SELECT status, provider_reference FROM payments WHERE id = $1', [
          paymentId,
        ]),
      ).toEqual([{ status: 'pending', provider_reference: null }]);
      expect(await web.query('SELECT status FROM orders WHERE id = $1', [orderId])).toEqual([
        { status: 'pending' },
      ]);
      expect(await ledgerOf(orderId)).toEqual([]);
    }

    const path = (payment: PaymentToConfirm) => `/web/provider/payments/${payment.id}`;
    const now = () => Math.floor(Date.now() / 1000);

    it.each([
      ['unsigned', (body: string) => ({ headers: {}, body })],
      [
        'signed with another secret',
        (body: string) => ({
          headers: providerHeaders(body, { secret: `${TEST_PROVIDER_SECRET}-not` }),
          body,
        }),
      ],
      [
        'changed after signing',
        (body: string) => ({
          headers: providerHeaders(body),
          body: body.replace('"completed"', '"failed"'),
        }),
      ],
      [
        'signed over another timestamp',
        (body: string) => ({
          headers: {
            ...providerHeaders(body),
            'x-provider-timestamp': String(now() - 1),
          },
          body,
        }),
      ],
      [
        'stale (signed 301 s ago)',
        (body: string) => ({ headers: providerHeaders(body, { timestamp: now() - 301 }), body }),
      ],
      [
        'from 301 s in the future',
        (body: string) => ({ headers: providerHeaders(body, { timestamp: now() + 301 }), body }),
      ],
      [
        'with a malformed signature',
        (body: string) => ({
          headers: { ...providerHeaders(body), 'x-provider-signature': 'sha256=abc' },
          body,
        }),
      ],
    ])('refuses a delivery %s with 401, and changes nothing', async (_, deliver) => {
      const { placed, payment } = await pendingPayment();
      const sent = deliver(JSON.stringify(paymentDelivery(payment, 'completed')));
      const response = await http()
        .post(path(payment))
        .set(sent.headers)
        .set('content-type', 'application/json')
        .send(sent.body)
        .expect(401);
      expect(response.body).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: expect.stringMatching(/x-provider-(signature|timestamp)/),
        requestId: expect.any(String),
      });
      await expectUntouched(placed.id, payment.id);
    });

    it.each([
      ['a wrong amount', { amount: '99.99' }, 'the payment is 100.00000000 ORA'],
      ['a wrong currency', { currency: 'ORB' }, 'the payment is 100.00000000 ORA'],
    ])(
      'refuses a signed delivery with %s with 409, and changes nothing',
      async (_, change, says) => {
        const { placed, payment } = await pendingPayment();
        const refused = await confirmPayment(app, payment, 'completed', change).expect(409);
        expect(refused.body.message).toContain(says);
        await expectUntouched(placed.id, payment.id);
      },
    );

    it('completes the payment, pays the order and keeps the provider reference', async () => {
      const { placed, payment } = await pendingPayment();
      // The amount as the provider writes it (the same decimal), in the provider's own
      // layout: the signature covers these bytes, not a re-serialisation of them.
      const delivery = paymentDelivery(payment, 'completed', {
        amount: '100',
        reference: 'psp-ref-0001',
      });
      const confirmed = await providerPost(
        app,
        path(payment),
        JSON.stringify(delivery, null, 2),
      ).expect(200);
      expect(confirmed.headers['idempotent-replayed']).toBeUndefined();
      expect(confirmed.body).toMatchObject({
        status: 'completed',
        providerReference: 'psp-ref-0001',
      });
      expect(
        await web.query('SELECT status, provider_reference FROM payments WHERE id = $1', [
          payment.id,
        ]),
      ).toEqual([{ status: 'completed', provider_reference: 'psp-ref-0001' }]);
      expect(await web.query('SELECT status FROM orders WHERE id = $1', [placed.id])).toEqual([
        { status: 'paid' },
      ]);
      expect(await ledgerOf(placed.id)).toEqual([
        { entry_type: 'payment_received', currency: 'ORA', amount: '100.00000000' },
      ]);
    });

    it('acts once on a replayed delivery: the same bytes answer as before, a new outcome or another payment is refused', async () => {
      const { placed, payment } = await pendingPayment();
      const body = JSON.stringify(
        paymentDelivery(payment, 'completed', { reference: `r-${randomUUID()}` }),
      );
      const headers = providerHeaders(body);
      const send = (to: string) =>
        http().post(to).set(headers).set('content-type', 'application/json').send(body);
      const first = await send(path(payment)).expect(200);
      // The very same signed delivery again: answered as before, nothing booked twice.
      const again = await send(path(payment)).expect(200);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      // The same reference with another outcome cannot flip the payment.
      const flipped = JSON.parse(body) as Record<string, unknown>;
      await confirmPayment(app, payment, 'failed', { reference: flipped.reference }).expect(409);
      // The captured delivery sent to another payment's URL does not act there.
      const other = await pendingPayment();
      await send(path(other.payment)).expect(400);
      // Nor does its reference confirm another payment.
      await confirmPayment(app, other.payment, 'completed', {
        reference: flipped.reference,
      }).expect(409);
      await expectUntouched(other.placed.id, other.payment.id);
      expect(await web.query('SELECT status FROM payments WHERE id = $1', [payment.id])).toEqual([
        { status: 'completed' },
      ]);
      expect(await web.query('SELECT status FROM orders WHERE id = $1', [placed.id])).toEqual([
        { status: 'paid' },
      ]);
      expect(await ledgerOf(placed.id)).toEqual([
        { entry_type: 'payment_received', currency: 'ORA', amount: '100.00000000' },
      ]);
    });

    it('answers a malformed delivery with 400 and an unknown payment with 404, in the error shape', async () => {
      const { placed, payment } = await pendingPayment();
      const cases: Array<[object | string, number]> = [
        ['{"paymentId":', 400], // not JSON
        ['[]', 400],
        [paymentDelivery(payment, 'refunded'), 400],
        [paymentDelivery(payment, 'completed', { amount: 100 }), 400],
        [paymentDelivery(payment, 'completed', { reference: '' }), 400],
        [paymentDelivery(payment, 'completed', { extra: 1 }), 400],
        [{ status: 'completed' }, 400],
        [paymentDelivery({ ...payment, id: randomUUID() }, 'completed'), 400], // another id
      ];
      for (const [body, status] of cases) {
        const response = await providerPost(app, path(payment), body).expect(status);
        expect(response.body).toEqual({
          statusCode: status,
          error: expect.any(String),
          message: expect.any(String),
          requestId: expect.any(String),
        });
      }
      const unknown = { ...payment, id: randomUUID() };
      await confirmPayment(app, unknown, 'completed').expect(404);
      await providerPost(app, '/web/provider/payments/not-a-uuid', {}).expect(400);
      await expectUntouched(placed.id, payment.id);
    });

    it('signs the payout too: refused unsigned or for another order, taken signed', async () => {
      const { placed, payment } = await pendingPayment();
      await confirmPayment(app, payment, 'completed').expect(200);
      const payout = `/web/provider/orders/${placed.id}/payout`;
      await http().post(payout).send({ orderId: placed.id }).expect(401);
      await providerPost(app, payout, { orderId: randomUUID() }).expect(400);
      expect(await web.query('SELECT status FROM orders WHERE id = $1', [placed.id])).toEqual([
        { status: 'paid' },
      ]);
      expect((await confirmPayout(app, placed.id).expect(200)).body.status).toBe('completed');
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
