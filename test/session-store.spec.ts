import { sessionIdOf, SessionPurger, SessionService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import { createClient } from '@redis/client';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AppContext, Database } from '../src/common/app-context.js';
import { RedisConnection } from '../src/redis/index.js';
import { pauseAfter } from './support/paused-statement.js';
import { sqlDuring } from './support/sql-counter.js';
import { startTestApp } from './support/test-app.js';
import { TEST_REDIS_URL } from './support/test-env.js';
import { cookieFor, logIn, registerAdmin, registerUser, type TestUser } from './support/users.js';

const CLIENT = { ipAddress: '127.0.0.1', userAgent: 'test' };
const sessionKey = (context: AppContext, token: string) =>
  `identity:session:${context}:${sessionIdOf(token)}`;

describe('session store', () => {
  let app: NestFastifyApplication;
  let sessions: SessionService;
  let identity: DataSource;
  const redis = createClient({ url: TEST_REDIS_URL });
  const http = () => request(app.getHttpServer());
  const me = (token: string, context = AppContext.Web) =>
    http()
      .get(`/${context === AppContext.Web ? 'web' : 'admin'}/auth/me`)
      .set('Authorization', `Bearer ${token}`);

  beforeAll(async () => {
    app = await startTestApp();
    sessions = app.get(SessionService);
    identity = app.get<DataSource>(getDataSourceToken(Database.Identity));
    await redis.connect();
  });
  afterAll(async () => {
    await redis.close();
    await app.close();
  });

  describe('cache-aside', () => {
    let user: TestUser;
    let token: string;
    beforeAll(async () => {
      user = await registerUser(app);
      token = await logIn(app, AppContext.Web, user);
      await me(token).expect(200); // caches the user as well
    });

    it('answers a cached validation with one Redis round trip and no SQL', async () => {
      const redisCommands = app.get(RedisConnection).counters;
      const before = redisCommands.commands;
      const statements = await sqlDuring(() => me(token).expect(200));
      expect(statements).toEqual([]);
      expect(redisCommands.commands - before).toBe(1);
    });

    it('on a miss reads one indexed SELECT, then caches the session and its user', async () => {
      await redis.del([sessionKey(AppContext.Web, token), `identity:user:web:${user.id}`]);
      const redisCommands = app.get(RedisConnection).counters;
      const before = redisCommands.commands;
      const statements = await sqlDuring(() => me(token).expect(200));
      expect(statements).toHaveLength(1);
      expect(statements[0]).toMatch(
        /^SELECT .* FROM sessions s CROSS JOIN LATERAL \(SELECT .* FROM users u .*\) p WHERE s\.id = \$1 AND s\.application_context = \$2 AND NOT s\.revoked AND s\.expires_at > now\(\)$/,
      );
      // The lookup, then the two set-if-absent of the fill, sent in one write.
      expect(redisCommands.commands - before).toBe(3);
      const sessionTtl = await redis.pTTL(sessionKey(AppContext.Web, token));
      expect(sessionTtl).toBeGreaterThan(23 * 3_600_000);
      expect(sessionTtl).toBeLessThanOrEqual(24 * 3_600_000);
      const userTtl = await redis.pTTL(`identity:user:web:${user.id}`);
      expect(userTtl).toBeGreaterThan(3_500_000);
      expect(await sqlDuring(() => me(token).expect(200))).toEqual([]);
    });

    it('never stores the token, in PostgreSQL or in Redis', async () => {
      const rows: unknown[] = await identity.query('SELECT * FROM sessions WHERE user_id = $1', [
        user.id,
      ]);
      expect(JSON.stringify(rows)).not.toContain(token);
      expect(await redis.exists(`identity:session:web:${token}`)).toBe(0);
      expect(await redis.get(sessionKey(AppContext.Web, token))).not.toContain(token);
    });

    it('does not find a session of another context, even with the right token', async () => {
      expect(await sessions.validate(AppContext.Admin, token)).toBeUndefined();
      expect(await sessions.validate(AppContext.Telegram, token)).toBeUndefined();
    });

    it('counts hits and misses', async () => {
      const before = await sessions.metrics();
      await me(token).expect(200);
      await redis.del(sessionKey(AppContext.Web, token));
      await me(token).expect(200);
      const after = await sessions.metrics();
      expect(after.cacheHits - before.cacheHits).toBe(1);
      expect(after.cacheMisses - before.cacheMisses).toBe(1);
      expect(after).toEqual(
        expect.objectContaining({
          fallbacks: expect.any(Number),
          redisErrors: expect.any(Number),
          // The outbox is shared: an outage test running alongside may hold a row.
          invalidationsPending: expect.any(Number),
        }),
      );
    });
  });

  describe('revocation takes effect on the very next request', () => {
    let admin: string;
    beforeAll(async () => {
      admin = await logIn(app, AppContext.Admin, await registerAdmin(app));
    });

    it('when an admin revokes all of a user’s sessions', async () => {
      const user = await registerUser(app);
      const token = await logIn(app, AppContext.Web, user);
      await me(token).expect(200);
      await http()
        .delete(`/admin/users/${user.id}/sessions`)
        .set('Cookie', cookieFor(AppContext.Admin, admin))
        .expect(204);
      await me(token).expect(401);
    });

    it('when an admin deletes the user', async () => {
      const user = await registerUser(app);
      const token = await logIn(app, AppContext.Web, user);
      await me(token).expect(200);
      await http()
        .delete(`/admin/users/${user.id}`)
        .set('Cookie', cookieFor(AppContext.Admin, admin))
        .expect(204);
      await me(token).expect(401);
      await http()
        .get(`/admin/users/${user.id}`)
        .set('Cookie', cookieFor(AppContext.Admin, admin))
        .expect(404);
    });

    it('keeps a revoked session refused from the cache, without SQL', async () => {
      const user = await registerUser(app);
      const token = await logIn(app, AppContext.Web, user);
      await http().post('/web/auth/logout').set('Authorization', `Bearer ${token}`).expect(204);
      expect(await redis.get(sessionKey(AppContext.Web, token))).toBe('x');
      expect(await sqlDuring(() => me(token).expect(401))).toEqual([]);
    });

    it('shows a permission change in every context on the next request', async () => {
      const user = await registerAdmin(app);
      const web = await logIn(app, AppContext.Web, user);
      const adminSession = await logIn(app, AppContext.Admin, user);
      await me(web).expect(200);
      await me(adminSession, AppContext.Admin).expect(200);
      await http()
        .put(`/admin/users/${user.id}/permissions/web/analytics:read`)
        .set('Cookie', cookieFor(AppContext.Admin, admin))
        .expect(204);
      expect((await me(web).expect(200)).body.permissions).toContain('analytics:read');
      await http()
        .delete(`/admin/users/${user.id}/permissions/admin/rates:manage`)
        .set('Cookie', cookieFor(AppContext.Admin, admin))
        .expect(204);
      expect((await me(adminSession, AppContext.Admin).expect(200)).body.permissions).not.toContain(
        'rates:manage',
      );
      await http()
        .put(`/admin/users/${user.id}/role`)
        .set('Cookie', cookieFor(AppContext.Admin, admin))
        .send({ role: 'user' })
        .expect(204);
      expect((await me(web).expect(200)).body.user.role).toBe('user');
    });

    it('refuses an admin route to a session without the permission (403)', async () => {
      const plain = await registerAdmin(app);
      const token = await logIn(app, AppContext.Admin, plain);
      await http()
        .delete(`/admin/users/${plain.id}/permissions/admin/users:manage`)
        .set('Cookie', cookieFor(AppContext.Admin, admin))
        .expect(204);
      const refused = await http()
        .get(`/admin/users/${plain.id}`)
        .set('Cookie', cookieFor(AppContext.Admin, token))
        .expect(403);
      expect(refused.body.message).toBe('Missing permission: users:manage');
    });

    it('answers 400 naming a malformed user id, context or permission', async () => {
      const cookie = cookieFor(AppContext.Admin, admin);
      expect(
        (await http().get('/admin/users/not-a-uuid').set('Cookie', cookie).expect(400)).body
          .message,
      ).toMatch(/id/);
      const user = await registerUser(app);
      expect(
        (
          await http()
            .put(`/admin/users/${user.id}/permissions/shop/orders:read`)
            .set('Cookie', cookie)
            .expect(400)
        ).body.message,
      ).toMatch(/context/);
      expect(
        (
          await http()
            .put(`/admin/users/${user.id}/permissions/web/launch:missiles`)
            .set('Cookie', cookie)
            .expect(400)
        ).body.message,
      ).toMatch(/permission/);
    });
  });

  describe('races', () => {
    let user: TestUser;
    beforeAll(async () => {
      user = await registerUser(app);
    });

    it('does not let a validation that read the row before a revoke put the session back (driven 30 times)', async () => {
      for (let round = 0; round < 30; round++) {
        const { token } = await sessions.create(AppContext.Web, user.id, CLIENT);
        await redis.del(sessionKey(AppContext.Web, token)); // force the miss path
        // The row has been read as valid; the revoke happens before the validation goes on.
        const read = pauseAfter('session_find_active');
        const racing = sessions.validate(AppContext.Web, token);
        await read.answered;
        read.restore();
        expect(await sessions.revoke(AppContext.Web, sessionIdOf(token))).toBe(user.id);
        read.release();
        await racing; // started before the revoke: it may still be answered
        expect(await redis.get(sessionKey(AppContext.Web, token))).toBe('x');
        expect(await sessions.validate(AppContext.Web, token)).toBeUndefined();
      }
    });

    it('keeps every session revoked when validations and revocations interleave freely (100 pairs)', async () => {
      const created = await Promise.all(
        Array.from({ length: 100 }, () => sessions.create(AppContext.Web, user.id, CLIENT)),
      );
      await redis.del(created.map(({ token }) => sessionKey(AppContext.Web, token)));
      await Promise.all(
        created.flatMap(({ token }) => [
          sessions.validate(AppContext.Web, token),
          sessions.revoke(AppContext.Web, sessionIdOf(token)),
          sessions.validate(AppContext.Web, token),
        ]),
      );
      const after = await Promise.all(
        created.map(({ token }) => sessions.validate(AppContext.Web, token)),
      );
      expect(after.filter((result) => result !== undefined)).toEqual([]);
    });

    it('does not let a sliding extension revive a session revoked meanwhile', async () => {
      for (let round = 0; round < 10; round++) {
        const { token } = await sessions.create(AppContext.Web, user.id, CLIENT);
        const id = sessionIdOf(token);
        // Less than half the idle lifetime left: the next validation extends.
        await identity.query(
          `UPDATE sessions SET expires_at = now() + interval '1 minute' WHERE id = $1`,
          [id],
        );
        await redis.del(sessionKey(AppContext.Web, token));
        // Written to PostgreSQL, not yet to Redis, when the revoke happens.
        const extended = pauseAfter('session_extend');
        const racing = sessions.validate(AppContext.Web, token);
        await extended.answered;
        extended.restore();
        await sessions.revoke(AppContext.Web, id);
        extended.release();
        await racing;
        expect(await redis.get(sessionKey(AppContext.Web, token))).toBe('x');
        expect(await sessions.validate(AppContext.Web, token)).toBeUndefined();
      }
    });
  });

  describe('purge', () => {
    it('deletes sessions ended before the retention window, in batches, and keeps the others', async () => {
      const user = await registerUser(app);
      const created = await Promise.all(
        Array.from({ length: 2_500 }, () => sessions.create(AppContext.Web, user.id, CLIENT)),
      );
      const ended = created.slice(0, 2_200).map(({ session }) => session.id);
      await identity.query(
        `UPDATE sessions SET expires_at = now() - interval '2 days' WHERE id = ANY($1)`,
        [ended],
      );
      const statements = await sqlDuring(() => app.get(SessionPurger).purge());
      expect(
        statements.filter((sql) => /^WITH purged AS \( ?DELETE/.test(sql)).length,
      ).toBeGreaterThanOrEqual(3);
      const rows: Array<{ count: number }> = await identity.query(
        'SELECT count(*)::int AS count FROM sessions WHERE user_id = $1',
        [user.id],
      );
      expect(rows[0]?.count).toBe(301); // 300 active, plus the registration's
    });
  });
});
