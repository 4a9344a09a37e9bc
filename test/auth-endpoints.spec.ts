import { PasswordHasher, SecurityEvent, SessionService, User } from '@exchanger/identity';
import { PERMISSIONS_OF } from '../src/common/permissions.js';
import { jest } from '@jest/globals';
import * as argon2 from '@node-rs/argon2';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AppContext, Database } from '../src/common/app-context.js';
import { startTestApp } from './support/test-app.js';
import {
  cookieFor,
  logIn,
  PASSWORD,
  registerAdmin,
  registerUser,
  sessionCookieOf,
  uniqueEmail,
} from './support/users.js';

/** argon2id, as PasswordHasher uses it. */
const ARGON2ID = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/** CPU time (µs) this process, all its threads included, spends while `work` runs. */
async function cpuOf(work: () => Promise<unknown>): Promise<number> {
  const before = process.cpuUsage();
  await work();
  const spent = process.cpuUsage(before);
  return spent.user + spent.system;
}

describe('auth endpoints (web and admin)', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('keeps its logins working when another instance in the same process starts and closes', async () => {
    // Nothing the login path needs may live in a process-wide registry the other instance
    // could overwrite and then tear down.
    const other = await startTestApp();
    await other.close();
    const user = await registerUser(app);
    await http()
      .post('/web/auth/login')
      .send({ email: user.email, password: PASSWORD })
      .expect(200);
    await http()
      .post('/admin/auth/login')
      .send({ email: uniqueEmail('nobody'), password: PASSWORD })
      .expect(401);
  });

  describe('register', () => {
    it('creates the user, logs them in with an HttpOnly Lax cookie on /web, and never returns the hash', async () => {
      const email = uniqueEmail();
      const response = await http()
        .post('/web/auth/register')
        .send({ email, password: PASSWORD })
        .expect(201);
      expect(response.body).toEqual({
        user: { id: expect.any(String), email, role: 'user', emailVerified: false },
      });
      const cookie = String(response.headers['set-cookie']);
      expect(cookie).toMatch(
        /^web_session=[A-Za-z0-9_-]{43}; Max-Age=\d+; Path=\/web; HttpOnly; SameSite=Lax$/,
      );
      const token = sessionCookieOf(response.headers['set-cookie'], AppContext.Web);
      const me = await http()
        .get('/web/auth/me')
        .set('Cookie', cookieFor(AppContext.Web, token))
        .expect(200);
      expect(me.body.permissions).toEqual(['orders:read', 'orders:write']);
    });

    it('stores an argon2id hash with the OWASP parameters', async () => {
      const user = await registerUser(app);
      const users = app.get<DataSource>(getDataSourceToken(Database.Identity)).getRepository(User);
      const stored = await users.findOneByOrFail({ id: user.id });
      expect(stored.passwordHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    });

    it('answers 409 for an email already registered, whatever its case', async () => {
      const user = await registerUser(app);
      const response = await http()
        .post('/web/auth/register')
        .send({ email: user.email.toUpperCase(), password: PASSWORD })
        .expect(409);
      expect(response.body.message).toMatch(/already registered/);
    });

    it('does not exist for the admin panel', async () => {
      await http()
        .post('/admin/auth/register')
        .send({ email: uniqueEmail(), password: PASSWORD })
        .expect(404);
    });
  });

  describe('login', () => {
    it('logs in case-insensitively and returns the user', async () => {
      const user = await registerUser(app);
      const response = await http()
        .post('/web/auth/login')
        .send({ email: user.email.toUpperCase(), password: PASSWORD })
        .expect(200);
      expect(response.body).toEqual({
        user: expect.objectContaining({ id: user.id, email: user.email }),
      });
      expect(response.body.user).not.toHaveProperty('passwordHash');
    });

    it('answers an unknown email and a wrong password with the same 401 body', async () => {
      const user = await registerUser(app);
      const wrong = await http()
        .post('/web/auth/login')
        .send({ email: user.email, password: 'wrong password' })
        .expect(401);
      const unknown = await http()
        .post('/web/auth/login')
        .send({ email: uniqueEmail(), password: PASSWORD })
        .expect(401);
      const { requestId: _a, ...wrongBody } = wrong.body;
      const { requestId: _b, ...unknownBody } = unknown.body;
      expect(wrongBody).toEqual(unknownBody);
      expect(wrongBody).toEqual({
        statusCode: 401,
        error: 'Unauthorized',
        message: 'Invalid email or password',
      });
    });

    it('spends one password verification on an unknown email too, so timing does not tell', async () => {
      // A decoy ten times the usual cost (argon2 reads its cost from the hash), so that a
      // verification that really runs stands far above the rest of a login's work.
      const hasher = app.get(PasswordHasher);
      const holder = hasher as unknown as { decoy: Promise<string> };
      const usual = holder.decoy;
      const decoy = await argon2.hash('a decoy', { ...ARGON2ID, timeCost: 20 });
      holder.decoy = Promise.resolve(decoy);
      const verify = jest.spyOn(hasher, 'verify');
      try {
        const user = await registerUser(app);
        const oneVerification = await cpuOf(() => argon2.verify(decoy, PASSWORD));
        const unknownEmail = await cpuOf(() =>
          http()
            .post('/web/auth/login')
            .send({ email: uniqueEmail(), password: PASSWORD })
            .expect(401),
        );
        expect(unknownEmail).toBeGreaterThan(oneVerification * 0.7);
        await http()
          .post('/web/auth/login')
          .send({ email: user.email, password: 'wrong password' })
          .expect(401);
        // One verification each: against the decoy for the unknown email, the hash for the other.
        expect(verify.mock.calls.map(([storedHash]) => storedHash === undefined)).toEqual([
          true,
          false,
        ]);
        expect(await Promise.all(verify.mock.results.map((result) => result.value))).toEqual([
          false,
          false,
        ]);
      } finally {
        verify.mockRestore();
        holder.decoy = usual;
      }
    });

    it('refuses a user who is not an admin on the admin panel, with the same 401 body', async () => {
      const user = await registerUser(app);
      const response = await http()
        .post('/admin/auth/login')
        .send({ email: user.email, password: PASSWORD })
        .expect(401);
      expect(response.body.message).toBe('Invalid email or password');
    });

    it('logs an admin in with a Strict cookie on /admin', async () => {
      const admin = await registerAdmin(app);
      const response = await http()
        .post('/admin/auth/login')
        .send({ email: admin.email, password: PASSWORD })
        .expect(200);
      expect(String(response.headers['set-cookie'])).toMatch(
        /^admin_session=.+; Path=\/admin; HttpOnly; SameSite=Strict$/,
      );
      const me = await http()
        .get('/admin/auth/me')
        .set(
          'Cookie',
          cookieFor(
            AppContext.Admin,
            sessionCookieOf(response.headers['set-cookie'], AppContext.Admin),
          ),
        )
        .expect(200);
      expect(me.body.permissions).toEqual([...PERMISSIONS_OF[AppContext.Admin]].sort());
    });
  });

  describe('me, sessions, logout', () => {
    it('describes the user, their permissions in this context, and this session', async () => {
      const user = await registerUser(app);
      const token = await logIn(app, AppContext.Web, user);
      const response = await http()
        .get('/web/auth/me')
        .set('Authorization', `Bearer ${token}`)
        .expect(200);
      expect(response.body).toEqual({
        user: { id: user.id, email: user.email, role: 'user', emailVerified: false },
        permissions: ['orders:read', 'orders:write'],
        session: {
          id: expect.stringMatching(/^[0-9a-f]{64}$/),
          createdAt: expect.any(String),
          expiresAt: expect.any(String),
        },
      });
    });

    it('lists the user’s sessions in this context with the current one marked', async () => {
      const user = await registerUser(app);
      const first = await logIn(app, AppContext.Web, user);
      await logIn(app, AppContext.Web, user);
      const response = await http()
        .get('/web/auth/sessions')
        .set('Cookie', cookieFor(AppContext.Web, first))
        .set('User-Agent', 'probe-agent')
        .expect(200);
      expect(response.body).toHaveLength(3); // registration, then two logins
      const sessions = response.body as Array<{ current: boolean }>;
      expect(sessions.filter((session) => session.current)).toHaveLength(1);
      expect(Object.keys(response.body[0]).sort()).toEqual(
        [
          'createdAt',
          'current',
          'expiresAt',
          'id',
          'ipAddress',
          'lastActivity',
          'userAgent',
        ].sort(),
      );
    });

    it('pages the user’s sessions: the first page is capped, and the cursor yields the rest without repeats', async () => {
      const user = await registerUser(app);
      const token = await logIn(app, AppContext.Web, user);
      const sessions = app.get(SessionService);
      for (let n = 0; n < 53; n++)
        await sessions.create(AppContext.Web, user.id, { ipAddress: null, userAgent: null });
      const page = (query: Record<string, string | number>) =>
        http()
          .get('/web/auth/sessions')
          .query(query)
          .set('Cookie', cookieFor(AppContext.Web, token))
          .expect(200);
      // 55 live (registration, login, 53 more): 50 to a page without a limit.
      const first = await page({});
      expect(first.body).toHaveLength(50);
      const cursor = String(first.headers['x-next-cursor']);
      expect(cursor).toBe(first.body[49].id);
      const rest = await page({ cursor });
      expect(rest.body).toHaveLength(5);
      expect(rest.headers['x-next-cursor']).toBeUndefined();
      const ids = [...first.body, ...rest.body].map((session: { id: string }) => session.id);
      expect(new Set(ids).size).toBe(55);

      const small: string[] = [];
      let next: string | undefined;
      do {
        const response = await page({ limit: 20, ...(next === undefined ? {} : { cursor: next }) });
        expect(response.body.length).toBeLessThanOrEqual(20);
        small.push(...response.body.map((session: { id: string }) => session.id));
        next = response.headers['x-next-cursor'];
      } while (next !== undefined);
      expect(small).toEqual(ids);

      for (const [query, message] of [
        [{ limit: 101 }, 'limit must be a whole number from 1 to 100'],
        [{ cursor: 'not-a-cursor' }, 'cursor must be the X-Next-Cursor of a previous page'],
      ] as const) {
        const refused = await http()
          .get('/web/auth/sessions')
          .query(query)
          .set('Cookie', cookieFor(AppContext.Web, token))
          .expect(400);
        expect(refused.body.message).toBe(message);
      }
    });

    it('revokes one of the user’s own sessions by id', async () => {
      const user = await registerUser(app);
      const keep = await logIn(app, AppContext.Web, user);
      const other = await logIn(app, AppContext.Web, user);
      const me = await http()
        .get('/web/auth/me')
        .set('Cookie', cookieFor(AppContext.Web, other))
        .expect(200);
      await http()
        .delete(`/web/auth/sessions/${me.body.session.id}`)
        .set('Cookie', cookieFor(AppContext.Web, keep))
        .expect(204);
      await http().get('/web/auth/me').set('Cookie', cookieFor(AppContext.Web, other)).expect(401);
      await http().get('/web/auth/me').set('Cookie', cookieFor(AppContext.Web, keep)).expect(200);
    });

    it('answers 404 for another user’s session id, exactly like a missing one, and revokes nothing', async () => {
      const alice = await registerUser(app, 'alice');
      const bob = await registerUser(app, 'bob');
      const aliceToken = await logIn(app, AppContext.Web, alice);
      const bobToken = await logIn(app, AppContext.Web, bob);
      const bobMe = await http()
        .get('/web/auth/me')
        .set('Cookie', cookieFor(AppContext.Web, bobToken))
        .expect(200);
      const foreign = await http()
        .delete(`/web/auth/sessions/${bobMe.body.session.id}`)
        .set('Cookie', cookieFor(AppContext.Web, aliceToken))
        .expect(404);
      const missing = await http()
        .delete(`/web/auth/sessions/${'0'.repeat(64)}`)
        .set('Cookie', cookieFor(AppContext.Web, aliceToken))
        .expect(404);
      expect(foreign.body.message).toBe(missing.body.message);
      await http()
        .delete('/web/auth/sessions/not-a-session-id')
        .set('Cookie', cookieFor(AppContext.Web, aliceToken))
        .expect(404);
      await http()
        .get('/web/auth/me')
        .set('Cookie', cookieFor(AppContext.Web, bobToken))
        .expect(200);
    });

    it('logs out: 204, cookie cleared, session revoked', async () => {
      const user = await registerUser(app);
      const token = await logIn(app, AppContext.Web, user);
      const response = await http()
        .post('/web/auth/logout')
        .set('Cookie', cookieFor(AppContext.Web, token))
        .expect(204);
      expect(String(response.headers['set-cookie'])).toMatch(
        /^web_session=; Max-Age=0; Path=\/web;/,
      );
      await http().get('/web/auth/me').set('Cookie', cookieFor(AppContext.Web, token)).expect(401);
    });

    it('answers logout with 204 also without a session', async () => {
      await http().post('/web/auth/logout').expect(204);
      await http().post('/admin/auth/logout').set('Authorization', 'Bearer garbage').expect(204);
    });

    it('logs out everywhere in this context only', async () => {
      const user = await registerAdmin(app);
      const web1 = await logIn(app, AppContext.Web, user);
      const web2 = await logIn(app, AppContext.Web, user);
      const admin = await logIn(app, AppContext.Admin, user);
      await http()
        .post('/web/auth/logout-all')
        .set('Cookie', cookieFor(AppContext.Web, web1))
        .expect(204);
      await http().get('/web/auth/me').set('Cookie', cookieFor(AppContext.Web, web1)).expect(401);
      await http().get('/web/auth/me').set('Cookie', cookieFor(AppContext.Web, web2)).expect(401);
      await http()
        .get('/admin/auth/me')
        .set('Cookie', cookieFor(AppContext.Admin, admin))
        .expect(200);
      await http()
        .post('/web/auth/logout-all')
        .set('Cookie', cookieFor(AppContext.Web, web1))
        .expect(401);
    });
  });

  describe('password change', () => {
    it('names currentPassword when it is wrong, and changes nothing', async () => {
      const user = await registerUser(app);
      const token = await logIn(app, AppContext.Web, user);
      const response = await http()
        .post('/web/auth/password')
        .set('Cookie', cookieFor(AppContext.Web, token))
        .send({ currentPassword: 'not my password', newPassword: 'a brand new password' })
        .expect(400);
      expect(response.body.message).toMatch(/currentPassword/);
      await logIn(app, AppContext.Web, user);
    });

    it('revokes every other session of the user in every context, and keeps this one', async () => {
      const user = await registerAdmin(app);
      const current = await logIn(app, AppContext.Web, user);
      const otherWeb = await logIn(app, AppContext.Web, user);
      const admin = await logIn(app, AppContext.Admin, user);
      await http()
        .post('/web/auth/password')
        .set('Cookie', cookieFor(AppContext.Web, current))
        .send({ currentPassword: PASSWORD, newPassword: 'a brand new password' })
        .expect(204);
      await http()
        .get('/web/auth/me')
        .set('Cookie', cookieFor(AppContext.Web, current))
        .expect(200);
      await http()
        .get('/web/auth/me')
        .set('Cookie', cookieFor(AppContext.Web, otherWeb))
        .expect(401);
      await http()
        .get('/admin/auth/me')
        .set('Cookie', cookieFor(AppContext.Admin, admin))
        .expect(401);
      await http()
        .post('/web/auth/login')
        .send({ email: user.email, password: PASSWORD })
        .expect(401);
      await http()
        .post('/web/auth/login')
        .send({ email: user.email, password: 'a brand new password' })
        .expect(200);
    });

    it('needs a session', async () => {
      await http()
        .post('/web/auth/password')
        .send({ currentPassword: PASSWORD, newPassword: 'whatever123' })
        .expect(401);
    });
  });

  describe('bad input', () => {
    it.each([
      ['a malformed email', { email: 'not-an-email', password: PASSWORD }, 'email'],
      ['a password too short', { email: 'a@example.test', password: 'short' }, 'password'],
      ['a password too long', { email: 'a@example.test', password: 'x'.repeat(129) }, 'password'],
      ['an unknown field', { email: 'a@example.test', password: PASSWORD, role: 'admin' }, 'role'],
      ['a number for the email', { email: 42, password: PASSWORD }, 'email'],
      [
        'an object for the password',
        { email: 'a@example.test', password: { $ne: '' } },
        'password',
      ],
      ['a missing password', { email: 'a@example.test' }, 'password'],
      ['an empty body', {}, 'email'],
    ])('answers %s with 400 naming the field, on register and login', async (_, body, field) => {
      for (const path of ['/web/auth/register', '/web/auth/login', '/admin/auth/login']) {
        const response = await http().post(path).send(body).expect(400);
        expect(response.body).toEqual({
          statusCode: 400,
          error: 'Bad Request',
          message: expect.stringContaining(field),
          requestId: expect.any(String),
        });
      }
    });

    it('answers malformed JSON with 400', async () => {
      const response = await http()
        .post('/web/auth/login')
        .set('Content-Type', 'application/json')
        .send('{"email":')
        .expect(400);
      expect(response.body.message).toMatch(/JSON/);
    });

    it('answers a body over the limit with 413', async () => {
      await http()
        .post('/web/auth/login')
        .send({ email: 'a@example.test', password: 'x'.repeat(100_000) })
        .expect(413);
    });

    it.each([
      ['text/plain', 'email=a@example.test'],
      ['application/x-www-form-urlencoded', 'email=a%40example.test&password=secret123'],
      ['multipart/form-data; boundary=x', '--x--'],
    ])('refuses a %s body with 415', async (type, body) => {
      await http().post('/web/auth/login').set('Content-Type', type).send(body).expect(415);
    });
  });

  describe('foreign requests', () => {
    it('refuses a login from a foreign origin (login CSRF) with 403, creating no session', async () => {
      const user = await registerUser(app);
      const response = await http()
        .post('/web/auth/login')
        .set('Origin', 'https://evil.example')
        .send({ email: user.email, password: PASSWORD })
        .expect(403);
      expect(response.headers['set-cookie']).toBeUndefined();
    });

    it('refuses a logout from a foreign origin (forced logout), keeping the session and its cookie', async () => {
      const user = await registerUser(app);
      const token = await logIn(app, AppContext.Web, user);
      const response = await http()
        .post('/web/auth/logout')
        .set('Origin', 'http://localhost:9999')
        .set('Cookie', cookieFor(AppContext.Web, token))
        .expect(403);
      expect(response.headers['set-cookie']).toBeUndefined();
      await http().get('/web/auth/me').set('Cookie', cookieFor(AppContext.Web, token)).expect(200);
    });

    it('refuses a cross-site request without Origin by Sec-Fetch-Site', async () => {
      const user = await registerUser(app);
      await http()
        .post('/web/auth/login')
        .set('Sec-Fetch-Site', 'cross-site')
        .send({ email: user.email, password: PASSWORD })
        .expect(403);
    });

    it('accepts the API’s own origin and same-site fetches', async () => {
      const user = await registerUser(app);
      await http()
        .post('/web/auth/login')
        .set('Host', 'api.example.test:8443')
        .set('Origin', 'http://api.example.test:8443')
        .send({ email: user.email, password: PASSWORD })
        .expect(200);
      await http()
        .post('/web/auth/login')
        .set('Sec-Fetch-Site', 'same-origin')
        .send({ email: user.email, password: PASSWORD })
        .expect(200);
    });

    it('lets safe requests through whatever their origin', async () => {
      await http().get('/health').set('Origin', 'https://evil.example').expect(200);
    });
  });

  describe('tokens that are not sessions', () => {
    let valid: string;
    beforeAll(async () => {
      valid = await logIn(app, AppContext.Web, await registerUser(app));
    });

    it.each([
      ['empty', () => ''],
      ['truncated', () => valid.slice(0, 42)],
      ['one character changed', () => `${valid.slice(0, -1)}${valid.endsWith('A') ? 'B' : 'A'}`],
      ['oversized', () => valid.repeat(200)],
      ['foreign characters', () => `${valid.slice(0, 40)}%00;`],
      ['forged', () => 'A'.repeat(43)],
      ['a session id instead of a token', () => 'f'.repeat(64)],
    ])('answers 401 for a %s cookie or bearer token', async (_, token) => {
      await http().get('/web/auth/me').set('Cookie', `web_session=${token()}`).expect(401);
      await http().get('/web/auth/me').set('Authorization', `Bearer ${token()}`).expect(401);
    });

    it('answers 401 for a malformed Authorization header', async () => {
      for (const header of [
        'Bearer',
        'Basic dXNlcjpwYXNz',
        `Bearer ${valid} extra`,
        `Token ${valid}`,
      ]) {
        await http().get('/web/auth/me').set('Authorization', header).expect(401);
      }
    });
  });

  describe('security events', () => {
    it('records logins, failures, logouts and password changes with context, user, address and agent', async () => {
      const user = await registerUser(app);
      await http()
        .post('/web/auth/login')
        .set('User-Agent', 'probe/1.0')
        .send({ email: user.email, password: 'wrong password' })
        .expect(401);
      const token = await logIn(app, AppContext.Web, user);
      await http()
        .post('/web/auth/password')
        .set('Cookie', cookieFor(AppContext.Web, token))
        .send({ currentPassword: PASSWORD, newPassword: 'another password 1' })
        .expect(204);
      await http()
        .post('/web/auth/logout')
        .set('Cookie', cookieFor(AppContext.Web, token))
        .expect(204);
      const events = app
        .get<DataSource>(getDataSourceToken(Database.Identity))
        .getRepository(SecurityEvent);
      const recorded = await events.find({ where: { userId: user.id }, order: { id: 'ASC' } });
      expect(recorded.map((event) => event.eventType)).toEqual([
        'user.registered',
        'login.failed',
        'login.succeeded',
        'password.changed',
        'logout',
      ]);
      const failed = recorded[1];
      expect(failed).toMatchObject({
        applicationContext: 'web',
        userAgent: 'probe/1.0',
        details: { reason: 'wrong_password' },
      });
      expect(failed?.ipAddress).toMatch(/127\.0\.0\.1|::1/);
    });
  });
});
