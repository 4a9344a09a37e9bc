import { sessionIdOf, SessionService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createClient } from '@redis/client';
import request from 'supertest';
import { AppContext } from '../src/common/app-context.js';
import { RedisConnection } from '../src/redis/index.js';
import { sqlDuring } from './support/sql-counter.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { eventually } from './support/eventually.js';
import { startTestApp } from './support/test-app.js';
import { TEST_REDIS_URL } from './support/test-env.js';
import { logIn, PASSWORD, registerUser, type TestUser } from './support/users.js';

/** Fast failure detection for the test; production defaults are 200 ms and 1 s. */
const OUTAGE_ENV = { REDIS_COMMAND_TIMEOUT_MS: '100', CACHE_INVALIDATION_POLL_MS: '200' };

/** Time an action, so that "within a bounded time" is asserted, not assumed. */
async function timed<T>(action: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await action();
  return { result, ms: Date.now() - started };
}

describe('Redis outages', () => {
  let proxy: TcpProxy;
  let first: NestFastifyApplication;
  let second: NestFastifyApplication;
  let user: TestUser;
  const redis = createClient({ url: TEST_REDIS_URL });
  const me = (app: NestFastifyApplication, token: string) =>
    request(app.getHttpServer()).get('/web/auth/me').set('Authorization', `Bearer ${token}`);
  const cached = async (app: NestFastifyApplication, token: string) =>
    (await sqlDuring(() => me(app, token).expect(200))).length === 0;
  const bothRecovered = () =>
    eventually(async () => {
      const healthy = [first, second].every((app) => app.get(RedisConnection).healthy);
      return healthy && (await first.get(SessionService).metrics()).invalidationsPending === 0;
    });

  beforeAll(async () => {
    proxy = await TcpProxy.start(TEST_REDIS_URL);
    // Two processes, as behind a load balancer, both reaching Redis through the proxy.
    first = await startTestApp({ ...OUTAGE_ENV, REDIS_URL: proxy.url(TEST_REDIS_URL) });
    second = await startTestApp({ ...OUTAGE_ENV, REDIS_URL: proxy.url(TEST_REDIS_URL) });
    await redis.connect();
    user = await registerUser(first);
  });
  afterAll(async () => {
    await first.close();
    await second.close();
    await proxy.stop();
    await redis.close();
  });
  afterEach(() => proxy.restore());

  describe('when Redis refuses connections', () => {
    it('keeps serving logins and validations from PostgreSQL, quickly', async () => {
      const token = await logIn(first, AppContext.Web, user);
      await me(second, token).expect(200);
      proxy.cut();
      const validation = await timed(() => me(second, token).expect(200));
      expect(validation.ms).toBeLessThan(1_000);
      const login = await timed(() => logIn(first, AppContext.Web, user));
      expect(login.ms).toBeLessThan(2_000);
      await me(second, login.result).expect(200);
      expect((await second.get(SessionService).metrics()).fallbacks).toBeGreaterThan(0);
    });

    it('keeps a revoke made during the outage, in both processes, after Redis returns', async () => {
      const revoked = await logIn(first, AppContext.Web, user);
      const kept = await logIn(first, AppContext.Web, user);
      for (const app of [first, second]) {
        await me(app, revoked).expect(200);
        await me(app, kept).expect(200);
      }
      expect(await redis.get(`identity:session:web:${sessionIdOf(revoked)}`)).not.toBe('x');

      proxy.cut();
      await request(first.getHttpServer())
        .post('/web/auth/logout')
        .set('Authorization', `Bearer ${revoked}`)
        .expect(204);
      await me(first, revoked).expect(401);
      await me(second, revoked).expect(401);
      expect((await first.get(SessionService).metrics()).invalidationsPending).toBe(1);

      proxy.restore();
      await bothRecovered();
      // The cached entry that Redis still held has been replaced by a tombstone.
      expect(await redis.get(`identity:session:web:${sessionIdOf(revoked)}`)).toBe('x');
      for (const app of [first, second]) {
        await me(app, revoked).expect(401);
        await eventually(() => cached(app, kept));
      }
    });
  });

  describe('when Redis stalls (connected, but not answering)', () => {
    it('answers validations and logins within a bounded time, and keeps revokes', async () => {
      const revoked = await logIn(first, AppContext.Web, user);
      const kept = await logIn(first, AppContext.Web, user);
      await me(second, revoked).expect(200);
      await me(second, kept).expect(200);

      proxy.freeze();
      for (const app of [first, second]) {
        const { ms } = await timed(() => me(app, kept).expect(200));
        expect(ms).toBeLessThan(1_000);
      }
      const login = await timed(() =>
        request(first.getHttpServer())
          .post('/web/auth/login')
          .send({ email: user.email, password: PASSWORD })
          .expect(200),
      );
      expect(login.ms).toBeLessThan(2_000);
      await request(first.getHttpServer())
        .post('/web/auth/logout')
        .set('Authorization', `Bearer ${revoked}`)
        .expect(204);
      await me(second, revoked).expect(401);

      proxy.restore();
      await bothRecovered();
      for (const app of [first, second]) {
        await me(app, revoked).expect(401);
        await eventually(() => cached(app, kept));
      }
    });
  });

  describe('when one process has just seen a Redis failure', () => {
    it('still sends its revocations, so the others refuse the session at once', async () => {
      const revoked = await logIn(first, AppContext.Web, user);
      await me(second, revoked).expect(200);
      // A hiccup (a timeout after a long GC, say): first now fails reads fast for a while.
      const hiccup = first.get(RedisConnection).guard(() => Promise.reject(new Error('hiccup')));
      await expect(hiccup).rejects.toThrow('hiccup');
      expect(first.get(RedisConnection).healthy).toBe(false);
      await request(first.getHttpServer())
        .post('/web/auth/logout')
        .set('Authorization', `Bearer ${revoked}`)
        .expect(204);
      // No wait for the other process's outbox poll: the tombstone is already there.
      await me(second, revoked).expect(401);
      expect(await redis.get(`identity:session:web:${sessionIdOf(revoked)}`)).toBe('x');
    });
  });

  describe('when only one process loses Redis', () => {
    it('applies its missed invalidation in the other process within the poll interval', async () => {
      const direct = await startTestApp({ ...OUTAGE_ENV }); // reaches Redis without the proxy
      try {
        const revoked = await logIn(first, AppContext.Web, user);
        await me(direct, revoked).expect(200);
        proxy.cut();
        await request(first.getHttpServer())
          .post('/web/auth/logout')
          .set('Authorization', `Bearer ${revoked}`)
          .expect(204);
        // The direct process drains the outbox on its next poll (200 ms here, 1 s by default).
        const { ms } = await timed(() =>
          eventually(async () => (await me(direct, revoked)).status === 401, 5_000),
        );
        expect(ms).toBeLessThan(1_000);
        expect(await redis.get(`identity:session:web:${sessionIdOf(revoked)}`)).toBe('x');
      } finally {
        await direct.close();
      }
    });
  });

  describe('throttling without Redis', () => {
    it('still counts failed logins, in process memory', async () => {
      const throttled = await startTestApp({
        ...OUTAGE_ENV,
        REDIS_URL: proxy.url(TEST_REDIS_URL),
        LOGIN_ACCOUNT_MAX_FAILURES: '2',
        TRUST_PROXY: '1',
      });
      try {
        const victim = await registerUser(throttled);
        proxy.cut();
        const attempt = (password: string) =>
          request(throttled.getHttpServer())
            .post('/web/auth/login')
            .set('X-Forwarded-For', '203.0.113.7')
            .send({ email: victim.email, password });
        await attempt('wrong password 1').expect(401);
        await attempt('wrong password 2').expect(401);
        const locked = await attempt(PASSWORD).expect(429);
        expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
      } finally {
        await throttled.close();
      }
    });
  });
});
