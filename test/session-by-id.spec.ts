import { sessionIdOf, SessionService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createClient } from '@redis/client';
import request from 'supertest';
import { AppContext } from '../src/common/app-context.js';
import { sqlDuring } from './support/sql-counter.js';
import { startTestApp } from './support/test-app.js';
import { TEST_REDIS_URL } from './support/test-env.js';
import { logIn, registerUser, type TestUser } from './support/users.js';

/**
 * SessionService.validateId: the check of `validate` for callers that keep a session's id
 * (the bot keeps one per Telegram account) instead of its token.
 */
describe('validating a session by its id', () => {
  let app: NestFastifyApplication;
  let sessions: SessionService;
  const redis = createClient({ url: TEST_REDIS_URL });

  beforeAll(async () => {
    app = await startTestApp();
    sessions = app.get(SessionService);
    await redis.connect();
  });
  afterAll(async () => {
    await redis.close();
    await app.close();
  });

  async function webSession(): Promise<{ user: TestUser; token: string; id: string }> {
    const user = await registerUser(app);
    const token = await logIn(app, AppContext.Web, user);
    return { user, token, id: sessionIdOf(token) };
  }

  it('finds what validation by token finds: the session, its user and permissions', async () => {
    const { user, token, id } = await webSession();
    const byToken = await sessions.validate(AppContext.Web, token);
    const byId = await sessions.validateId(AppContext.Web, id);
    expect(byId?.session).toEqual(byToken?.session);
    expect(byId?.user).toEqual(byToken?.user);
    expect(byId?.user.id).toBe(user.id);
    expect(byId?.user.permissions).toEqual(expect.arrayContaining(['orders:read']));
  });

  it('answers from the cache without SQL once cached', async () => {
    const { id } = await webSession();
    await sessions.validateId(AppContext.Web, id);
    expect(await sqlDuring(() => sessions.validateId(AppContext.Web, id))).toEqual([]);
  });

  it('refuses a revoked session on the very next call, also when it was cached', async () => {
    const { id } = await webSession();
    expect(await sessions.validateId(AppContext.Web, id)).toBeDefined();
    await sessions.revoke(AppContext.Web, id);
    expect(await sessions.validateId(AppContext.Web, id)).toBeUndefined();
    expect(await redis.get(`identity:session:web:${id}`)).toBe('x');
  });

  it('refuses it after a password change revoked every other session of the user', async () => {
    const { user, id } = await webSession();
    expect(await sessions.validateId(AppContext.Web, id)).toBeDefined();
    const kept = await logIn(app, AppContext.Web, user);
    await request(app.getHttpServer())
      .post('/web/auth/password')
      .set('Authorization', `Bearer ${kept}`)
      .send({ currentPassword: user.password, newPassword: 'another good password' })
      .expect(204);
    expect(await sessions.validateId(AppContext.Web, id)).toBeUndefined();
    expect(await sessions.validateId(AppContext.Web, sessionIdOf(kept))).toBeDefined();
  });

  it('does not find the session in another context', async () => {
    const { id } = await webSession();
    expect(await sessions.validateId(AppContext.Telegram, id)).toBeUndefined();
    expect(await sessions.validateId(AppContext.Admin, id)).toBeUndefined();
  });

  it.each(['', 'abc', 'G'.repeat(64), 'a'.repeat(65), `${'a'.repeat(63)}\n`])(
    'refuses a malformed id %j without any lookup',
    async (id) => {
      const statements = await sqlDuring(async () => {
        expect(await sessions.validateId(AppContext.Web, id)).toBeUndefined();
      });
      expect(statements).toEqual([]);
    },
  );
});
