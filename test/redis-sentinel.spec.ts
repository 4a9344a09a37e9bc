import { sessionIdOf, SessionService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppContext } from '../src/common/app-context.js';
import { eventually } from './support/eventually.js';
import { RedisSentinelSetup } from './support/redis-sentinel.js';
import { sqlDuring } from './support/sql-counter.js';
import { startTestApp } from './support/test-app.js';
import { type OwnDatabases, ownDatabases } from './support/own-databases.js';
import { logIn, registerUser, type TestUser } from './support/users.js';

/** Redis behind Sentinel, chosen by configuration alone, through a failover. */
describe('Redis Sentinel', () => {
  let redis: RedisSentinelSetup;
  let app: NestFastifyApplication;
  let databases: OwnDatabases;
  let user: TestUser;
  const sessionKey = (token: string) => `identity:session:web:${sessionIdOf(token)}`;
  const me = (token: string) =>
    request(app.getHttpServer()).get('/web/auth/me').set('Authorization', `Bearer ${token}`);
  const logOut = (token: string) =>
    request(app.getHttpServer())
      .post('/web/auth/logout')
      .set('Authorization', `Bearer ${token}`)
      .expect(204);
  const cached = async (token: string) =>
    (await sqlDuring(() => me(token).expect(200))).length === 0;

  beforeAll(async () => {
    redis = await RedisSentinelSetup.start();
    // Databases of its own: their outboxes are drained into this Redis only.
    databases = await ownDatabases('sentinel');
    app = await startTestApp({
      ...databases.env,
      REDIS_URL: '',
      REDIS_SENTINELS: redis.sentinels,
      REDIS_SENTINEL_MASTER: redis.masterName,
      REDIS_COMMAND_TIMEOUT_MS: '200',
      CACHE_INVALIDATION_POLL_MS: '200',
    });
    user = await registerUser(app, 'sentinel');
  }, 30_000);
  afterAll(async () => {
    await app.close();
    await databases.drop();
    await redis.stop();
  });

  it('caches in the master Sentinel names, and a revocation counts once a replica holds it', async () => {
    const token = await logIn(app, AppContext.Web, user);
    await eventually(() => cached(token), 15_000, 100); // (the outbox poll's own SQL may fall in one try)
    expect(await redis.read(redis.masterPort, sessionKey(token))).not.toBeNull();
    await logOut(token);
    // No waiting: the logout answered only after the replica acknowledged the tombstone.
    expect(await redis.read(redis.replicaPort, sessionKey(token))).toBe('x');
    await me(token).expect(401);
  });

  it('keeps serving through a failover, keeps the revocations made during it, and caches again after', async () => {
    const kept = await logIn(app, AppContext.Web, user);
    const revoked = await logIn(app, AppContext.Web, user);
    await eventually(() => cached(kept), 15_000, 100);
    await eventually(() => cached(revoked), 15_000, 100);

    redis.killMaster();
    const started = Date.now();
    await me(kept).expect(200);
    expect(Date.now() - started).toBeLessThan(1_000);
    await logOut(revoked);
    await me(revoked).expect(401);
    expect((await app.get(SessionService).metrics()).invalidationsPending).toBe(1);

    await redis.failedOver();
    // The promoted replica stands alone: no write of a revocation counts until a replica
    // holds it, so sessions are read from PostgreSQL meanwhile.
    await me(kept).expect(200);
    await me(revoked).expect(401);
    expect((await app.get(SessionService).metrics()).invalidationsPending).toBe(1);

    redis.restartOldMaster();
    await redis.replicated();
    // On two loaded cores the restarted replica can take a while to acknowledge writes
    // (WAIT) again; a failure here says what the session cache was waiting for.
    await eventually(() => cached(kept), 30_000, 100).catch(async (error: unknown) => {
      const metrics = await app.get(SessionService).metrics();
      throw new Error(`${String(error)}; session metrics: ${JSON.stringify(metrics)}`);
    });
    await me(revoked).expect(401);
    expect((await app.get(SessionService).metrics()).invalidationsPending).toBe(0);
    expect(await redis.read(redis.replicaPort, sessionKey(revoked))).toBe('x');
    expect(await redis.read(redis.masterPort, sessionKey(revoked))).toBe('x');
  }, 60_000);
});
