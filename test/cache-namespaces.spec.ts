import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createClient } from '@redis/client';
import { AppContext } from '../src/common/app-context.js';
import type { NamespacedStore } from '../src/redis/namespaced-store.js';
import { cacheNamespace, IDENTITY_NAMESPACE } from '../src/redis/namespaces.js';
import { storeToken } from '../src/redis/redis.module.js';
import { startTestApp } from './support/test-app.js';
import { TEST_REDIS_URL } from './support/test-env.js';

describe('context-scoped Redis stores', () => {
  let app: NestFastifyApplication;
  const redis = createClient({ url: TEST_REDIS_URL });
  const store = (namespace: string) => app.get<NamespacedStore>(storeToken(namespace));
  const web = () => store(cacheNamespace(AppContext.Web));
  const admin = () => store(cacheNamespace(AppContext.Admin));
  const telegram = () => store(cacheNamespace(AppContext.Telegram));
  const identity = () => store(IDENTITY_NAMESPACE);
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

  it('puts cached entries in Redis under the context namespace, with a TTL', async () => {
    expect(await web().set(key, { rate: '1.08' }, 60_000)).toBe(true);
    const raw = await redis.get(`cache:web:${key}`);
    expect(raw).toContain('1.08');
    const ttl = await redis.pTTL(`cache:web:${key}`);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await web().get(key)).toEqual({ rate: '1.08' });
  });

  it('does not read another context’s entry under the same key', async () => {
    await web().set(key, 'web value', 60_000);
    expect(await admin().get(key)).toBeUndefined();
    expect(await telegram().get(key)).toBeUndefined();
    expect(await identity().get(key)).toBeUndefined();
  });

  it('does not delete another context’s entry', async () => {
    await web().set(key, 'web value', 60_000);
    await admin().set(key, 'admin value', 60_000);
    expect(await admin().delete(key)).toBe(true);
    expect(await web().get(key)).toBe('web value');
    expect(await redis.exists(`cache:admin:${key}`)).toBe(0);
  });

  it('refuses an entry without a positive TTL', async () => {
    await expect(web().set(key, 1, 0)).rejects.toThrow(/TTL/);
  });

  it.each(['../admin:x', ':cache:admin:x', '*', 'identity:session:web:x', '\n'])(
    'cannot form a key outside its namespace from %j',
    (relative) => {
      expect(web().key(relative).startsWith('cache:web:')).toBe(true);
      expect(identity().key(relative).startsWith('identity:')).toBe(true);
    },
  );

  it('refuses an empty key', () => {
    expect(() => web().key('')).toThrow(/empty/);
  });
});
