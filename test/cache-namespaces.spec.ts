import { SESSION_STORE } from '@exchanger/identity';
import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createClient } from '@redis/client';
import { AppContext, CONTEXTS } from '../src/common/app-context.js';
import {
  type NamespacedStore,
  storeToken,
  type TtlCache,
  ttlCacheToken,
} from '../src/redis/index.js';
import { startTestApp } from './support/test-app.js';
import { TEST_REDIS_URL } from './support/test-env.js';

describe('context-scoped Redis stores', () => {
  let app: NestFastifyApplication;
  const redis = createClient({ url: TEST_REDIS_URL });
  const namespace = (context: AppContext) => CONTEXTS[context].cacheNamespace;
  const ttlCache = (context: AppContext) =>
    app.get<TtlCache>(ttlCacheToken(namespace(context)), { strict: false });
  const store = (context: AppContext) =>
    app.get<NamespacedStore>(storeToken(namespace(context)), { strict: false });
  const key = `probe:${randomUUID()}`;

  beforeAll(async () => {
    app = await startTestApp();
    await redis.connect();
  });
  afterAll(async () => {
    await redis.del([`cache:web:${key}`, `cache:admin:${key}`, `cache:telegram:${key}`]);
    await redis.close();
    await app.close();
  });

  describe('the plain TTL cache (cache-manager)', () => {
    it('puts entries in Redis under the context namespace, with a TTL', async () => {
      expect(await ttlCache(AppContext.Web).set(key, { rate: '1.08' }, 60_000)).toBe(true);
      const raw = await redis.get(`cache:web:${key}`);
      expect(raw).toContain('1.08');
      const ttl = await redis.pTTL(`cache:web:${key}`);
      expect(ttl).toBeGreaterThan(50_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
      expect(await ttlCache(AppContext.Web).get(key)).toEqual({ rate: '1.08' });
    });

    it('does not read another context’s entry under the same key', async () => {
      await ttlCache(AppContext.Web).set(key, 'web value', 60_000);
      expect(await ttlCache(AppContext.Admin).get(key)).toBeUndefined();
      expect(await ttlCache(AppContext.Telegram).get(key)).toBeUndefined();
    });

    it('does not delete another context’s entry', async () => {
      await ttlCache(AppContext.Web).set(key, 'web value', 60_000);
      await ttlCache(AppContext.Admin).set(key, 'admin value', 60_000);
      expect(await ttlCache(AppContext.Admin).delete(key)).toBe(true);
      expect(await ttlCache(AppContext.Web).get(key)).toBe('web value');
      expect(await redis.exists(`cache:admin:${key}`)).toBe(0);
    });

    it('refuses an entry without a positive TTL', async () => {
      await expect(ttlCache(AppContext.Web).set(key, 1, 0)).rejects.toThrow(/TTL/);
    });
  });

  describe('the race-free store', () => {
    const victim = `victim:${randomUUID()}`;
    beforeEach(async () => {
      await redis.set(`cache:admin:${victim}`, 'admin value', {
        expiration: { type: 'PX', value: 60_000 },
      });
      await redis.set(`identity:${victim}`, 'identity value', {
        expiration: { type: 'PX', value: 60_000 },
      });
    });

    it.each([
      `../admin:${victim}`,
      `:cache:admin:${victim}`,
      `..:..:cache:admin:${victim}`,
      `\ncache:admin:${victim}`,
      `*`,
    ])('cannot write, tombstone or read outside its namespace through %j', async (hostile) => {
      const web = store(AppContext.Web);
      await web.setIfAbsent(hostile, 'written by web', 60_000);
      expect(await web.invalidate(hostile)).toBe(true);
      expect(await web.get(hostile)).toBe('x');
      expect(await redis.get(`cache:admin:${victim}`)).toBe('admin value');
      expect(await redis.get(`identity:${victim}`)).toBe('identity value');
      expect(await redis.get(`cache:web:${hostile}`)).toBe('x');
    });

    it('refuses to tombstone a full key of another namespace', async () => {
      const sessions = app.get<NamespacedStore>(SESSION_STORE, { strict: false });
      await expect(
        sessions.tombstone([{ key: `cache:admin:${victim}`, ttlMs: 1_000 }]),
      ).rejects.toThrow(/Not a key of identity/);
      expect(await redis.get(`cache:admin:${victim}`)).toBe('admin value');
    });

    it('refuses an empty key', () => {
      expect(() => store(AppContext.Web).key('')).toThrow(/empty/);
    });
  });
});
