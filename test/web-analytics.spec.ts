import { UsersService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppContext, CONTEXTS } from '../src/common/app-context.js';
import { ttlCacheToken, type TtlCache } from '../src/redis/index.js';
import { RatesService } from '../src/web/index.js';
import { type OwnDatabases, ownDatabases } from './support/own-databases.js';
import { startTestApp } from './support/test-app.js';
import { cookieFor, logIn, registerUser } from './support/users.js';

describe('web analytics', () => {
  let app: NestFastifyApplication;
  let databases: OwnDatabases;

  beforeAll(async () => {
    // Databases of its own: every event counted today is one this file caused.
    databases = await ownDatabases('analytics');
    app = await startTestApp({ ...databases.env, SUPPORTED_CURRENCIES: 'ANA,ANB' });
    await app.get(RatesService).setRate('ANA', 'ANB', '3');
  }, 60_000);
  afterAll(async () => {
    await app.close();
    await databases.drop();
  });

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

    // The aggregate is cached for minutes, and the test Redis is shared with other files.
    const cache = app.get<TtlCache>(ttlCacheToken(CONTEXTS[AppContext.Web].cacheNamespace));
    expect(await cache.delete('analytics:daily')).toBe(true);
    const response = await http()
      .get('/web/analytics/daily')
      .set('Cookie', cookieFor(AppContext.Web, token))
      .expect(200);
    const today = new Date().toISOString().slice(0, 10);
    expect(response.body).toEqual([
      { day: today, eventType: 'login', count: 1 },
      { day: today, eventType: 'order.cancelled', count: 1 },
      { day: today, eventType: 'order.created', count: 1 },
    ]);
  });
});
