import { UsersService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import request from 'supertest';
import { AppContext, CONTEXTS, Database } from '../src/common/app-context.js';
import type { TtlCache } from '../src/redis/index.js';
import { ttlCacheToken } from '../src/redis/index.js';
import { RatesService } from '../src/web/index.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { startTestApp } from './support/test-app.js';
import { TEST_WEB_REPLICA_URL, testDatabaseUrl } from './support/test-env.js';
import { cookieFor, logIn, registerUser } from './support/users.js';

type DailyCount = { day: string; eventType: string; count: number };

/**
 * The "replica" is another database with the web schema and rows of its own, so an answer
 * shows where it was read. Whatever must not lag (sessions, users, a customer's orders)
 * would visibly come from the wrong place, or fail once the replicas are cut.
 */
describe('read replicas', () => {
  const markerDay = new Date(Date.now() - 20 * 86_400_000).toISOString().slice(0, 10);
  let app: NestFastifyApplication;
  let webReplica: TcpProxy;
  let identityReplica: TcpProxy;
  let analystCookie: string;

  beforeAll(async () => {
    const replica = new pg.Client({ connectionString: TEST_WEB_REPLICA_URL });
    await replica.connect();
    await replica.query(
      `INSERT INTO analytics_events (event_type, created_at)
       SELECT 'replica.marker', $1::date + time '12:00' FROM generate_series(1, 3)`,
      [markerDay],
    );
    await replica.end();
    webReplica = await TcpProxy.start(TEST_WEB_REPLICA_URL);
    identityReplica = await TcpProxy.start(testDatabaseUrl(Database.Identity));
    app = await startTestApp({
      // Process memory as the cache: the daily counts read here stay out of the shared Redis.
      REDIS_URL: '',
      SUPPORTED_CURRENCIES: 'RPA,RPB',
      DATABASE_WEB_REPLICA_URLS: webReplica.url(TEST_WEB_REPLICA_URL),
      DATABASE_IDENTITY_REPLICA_URLS: identityReplica.url(testDatabaseUrl(Database.Identity)),
    });
    await app.get(RatesService).setRate('RPA', 'RPB', '2');
    const analyst = await registerUser(app, 'replica-analyst');
    await app.get(UsersService).grant(analyst.id, AppContext.Web, 'analytics:read', null);
    analystCookie = cookieFor(AppContext.Web, await logIn(app, AppContext.Web, analyst));
  });
  afterAll(async () => {
    await app.close();
    await webReplica.stop();
    await identityReplica.stop();
  });

  const http = () => request(app.getHttpServer());
  const daily = async () => {
    const response = await http().get('/web/analytics/daily').set('Cookie', analystCookie);
    expect(response.status).toBe(200);
    return response.body as DailyCount[];
  };
  const forgetDailyCounts = () =>
    app
      .get<TtlCache>(ttlCacheToken(CONTEXTS[AppContext.Web].cacheNamespace), { strict: false })
      .delete('analytics:daily');

  it('reads the daily counts from a replica', async () => {
    const counts = await daily();
    expect(counts).toContainEqual({ day: markerDay, eventType: 'replica.marker', count: 3 });
    // The analyst's login was written to the primary only.
    expect(counts.find((count) => count.eventType === 'login')).toBeUndefined();
  });

  it('keeps every read a client depends on on the primary, even with the replicas cut', async () => {
    webReplica.cut();
    identityReplica.cut();
    const customer = await registerUser(app, 'replica-customer');
    const cookie = cookieFor(AppContext.Web, await logIn(app, AppContext.Web, customer));
    const placed = await http()
      .post('/web/orders')
      .set('Cookie', cookie)
      .send({ fromCurrency: 'RPA', toCurrency: 'RPB', amount: '3' })
      .expect(201);
    await http().get(`/web/orders/${placed.body.id}`).set('Cookie', cookie).expect(200);
    const list = await http().get('/web/orders').set('Cookie', cookie).expect(200);
    expect(JSON.stringify(list.body)).toContain(placed.body.id);
    await http().get('/web/rates/RPA/RPB').expect(200);
    await http().post('/web/auth/logout').set('Cookie', cookie).expect(204);
    await http().get('/web/auth/me').set('Cookie', cookie).expect(401);
    webReplica.restore();
    identityReplica.restore();
  });

  it('falls back to the primary when no replica answers', async () => {
    webReplica.cut();
    await forgetDailyCounts();
    const counts = await daily();
    expect(counts.find((count) => count.eventType === 'replica.marker')).toBeUndefined();
    expect(counts.find((count) => count.eventType === 'login')?.count).toBeGreaterThanOrEqual(1);
    webReplica.restore();
  });
});
