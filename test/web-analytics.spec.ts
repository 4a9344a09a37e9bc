import { UsersService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppContext } from '../src/common/app-context.js';
import { RatesService } from '../src/web/index.js';
import { startTestApp } from './support/test-app.js';
import { cookieFor, logIn, registerUser } from './support/users.js';

describe('web analytics', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startTestApp({ SUPPORTED_CURRENCIES: 'ANA,ANB' });
    await app.get(RatesService).setRate('ANA', 'ANB', '3');
  });
  afterAll(() => app.close());

  it('counts logins and orders per day, for users with analytics:read only', async () => {
    const analyst = await registerUser(app, 'analyst');
    const token = await logIn(app, AppContext.Web, analyst);
    const http = () => request(app.getHttpServer());
    await http()
      .get('/web/analytics/daily')
      .set('Cookie', cookieFor(AppContext.Web, token))
      .expect(403);

    const placed = await http()
      .post('/web/orders')
      .set('Cookie', cookieFor(AppContext.Web, token))
      .send({ fromCurrency: 'ANA', toCurrency: 'ANB', amount: '1' })
      .expect(201);
    await http()
      .post(`/web/orders/${placed.body.id}/cancel`)
      .set('Cookie', cookieFor(AppContext.Web, token))
      .expect(200);
    await app.get(UsersService).grant(analyst.id, AppContext.Web, 'analytics:read', null);

    const response = await http()
      .get('/web/analytics/daily')
      .set('Cookie', cookieFor(AppContext.Web, token))
      .expect(200);
    const today = new Date().toISOString().slice(0, 10);
    const counts = response.body as Array<{ day: string; eventType: string; count: number }>;
    for (const type of ['login', 'order.created', 'order.cancelled']) {
      expect(
        counts.find((c) => c.day === today && c.eventType === type)?.count,
      ).toBeGreaterThanOrEqual(1);
    }
  });
});
