import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppContext } from '../src/common/app-context.js';
import { NamespacedStore, RedisConnection } from '../src/redis/index.js';
import { SessionService } from '../src/session/index.js';
import { SessionCache } from '../src/session/session-cache.js';
import { sqlDuring } from './support/sql-counter.js';
import { startTestApp } from './support/test-app.js';
import { logIn, registerUser } from './support/users.js';

/** The session cache on a store without Redis: the process-memory map. */
const memoryCache = () =>
  new SessionCache(
    new NamespacedStore('identity', new RedisConnection({ url: undefined, commandTimeoutMs: 200 })),
  );

const session = (expiresInMs: number) => ({
  id: 'a'.repeat(64),
  context: AppContext.Web,
  userId: '00000000-0000-4000-8000-000000000001',
  createdAt: Date.now(),
  expiresAt: Date.now() + expiresInMs,
});
const user = {
  id: '00000000-0000-4000-8000-000000000001',
  email: 'm@example.test',
  role: 'user',
  emailVerified: false,
  permissions: ['orders:read'],
};

describe('the in-memory session cache (no REDIS_URL)', () => {
  it('keeps the Redis semantics: a tombstone wins over a refill and an extension', async () => {
    const cache = memoryCache();
    await cache.fill(session(60_000), user);
    expect((await cache.lookup(AppContext.Web, 'a'.repeat(64))).user).toEqual(user);
    await cache.invalidate([
      cache.sessionInvalidation(AppContext.Web, 'a'.repeat(64), Date.now() + 60_000),
    ]);
    await cache.fill(session(60_000), user);
    await cache.extend(session(120_000));
    expect((await cache.lookup(AppContext.Web, 'a'.repeat(64))).session).toBe('revoked');
  });

  it('forgets entries when they expire', async () => {
    const cache = memoryCache();
    await cache.fill(session(30), user);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect((await cache.lookup(AppContext.Web, 'a'.repeat(64))).session).toBeUndefined();
  });

  describe('in the application', () => {
    let app: NestFastifyApplication;
    beforeAll(async () => {
      app = await startTestApp({ REDIS_URL: '' });
    });
    afterAll(() => app.close());

    it('caches sessions, and refuses a revoked one on the next request', async () => {
      const token = await logIn(app, AppContext.Web, await registerUser(app));
      const me = () =>
        request(app.getHttpServer()).get('/web/auth/me').set('Authorization', `Bearer ${token}`);
      await me().expect(200);
      expect(await sqlDuring(() => me().expect(200))).toEqual([]);
      await request(app.getHttpServer())
        .post('/web/auth/logout')
        .set('Authorization', `Bearer ${token}`)
        .expect(204);
      await me().expect(401);
      expect((await app.get(SessionService).metrics()).cacheHits).toBeGreaterThan(0);
    });
  });
});
