import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppContext } from '../src/common/app-context.js';
import { startTestApp } from './support/test-app.js';
import { TEST_BOT_SECRET } from './support/test-env.js';
import {
  cookieFor,
  logIn,
  PASSWORD,
  registerAdmin,
  registerUser,
  type TestUser,
} from './support/users.js';

describe('Telegram account linking', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  async function issue(token: string): Promise<string> {
    const issued = await http()
      .post('/web/auth/telegram/link-code')
      .set('Cookie', cookieFor(AppContext.Web, token))
      .expect(201);
    expect(issued.body.code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    return issued.body.code as string;
  }
  async function code(): Promise<string> {
    return issue(await logIn(app, AppContext.Web, await registerUser(app)));
  }
  const web = (token: string) => cookieFor(AppContext.Web, token);
  const link = (body: object, secret: string | null = TEST_BOT_SECRET) => {
    const call = http().post('/bot/auth/link');
    return (secret === null ? call : call.set('X-Bot-Secret', secret)).send(body);
  };

  it('links once with a code; the code cannot be used again', async () => {
    const once = await code();
    const linked = await link({ telegramUserId: '4242', code: once }).expect(201);
    await http()
      .get('/bot/auth/me')
      .set('Authorization', `Bearer ${linked.body.token}`)
      .expect(200);
    expect((await link({ telegramUserId: '4243', code: once }).expect(400)).body.message).toMatch(
      /code/,
    );
  });

  it('refuses a missing or wrong bot secret with 403, and consumes nothing', async () => {
    const kept = await code();
    await link({ telegramUserId: '1', code: kept }, null).expect(403);
    await link({ telegramUserId: '1', code: kept }, 'not the secret').expect(403);
    await link({ telegramUserId: '1', code: kept }).expect(201);
  });

  it.each([
    [{ telegramUserId: 'abc', code: 'A'.repeat(22) }, 'telegramUserId'],
    [{ telegramUserId: 12345, code: 'A'.repeat(22) }, 'telegramUserId'],
    [{ telegramUserId: '1', code: 'short' }, 'code'],
    [{ telegramUserId: '1' }, 'code'],
  ])('answers a malformed link request with 400 naming the field (%j)', async (body, field) => {
    expect((await link(body).expect(400)).body.message).toContain(field);
  });

  describe('a code lives only while the session that issued it does', () => {
    let user: TestUser;
    let token: string;
    let pending: string;
    beforeEach(async () => {
      user = await registerUser(app);
      token = await logIn(app, AppContext.Web, user);
      pending = await issue(token);
    });
    const refusedAfter = async () => {
      const answer = await link({ telegramUserId: '777', code: pending }).expect(400);
      expect(answer.body.message).toMatch(/code is unknown, used or expired/);
    };

    it('dies with a logout', async () => {
      await http().post('/web/auth/logout').set('Cookie', web(token)).expect(204);
      await refusedAfter();
    });

    it('dies with a logout everywhere', async () => {
      await http().post('/web/auth/logout-all').set('Cookie', web(token)).expect(204);
      await refusedAfter();
    });

    it('dies with a password change made from another session', async () => {
      const other = await logIn(app, AppContext.Web, user);
      await http()
        .post('/web/auth/password')
        .set('Cookie', web(other))
        .send({ currentPassword: PASSWORD, newPassword: 'another password 2' })
        .expect(204);
      await refusedAfter();
    });

    it('dies when staff revoke the user’s sessions', async () => {
      const staff = await logIn(app, AppContext.Admin, await registerAdmin(app));
      await http()
        .delete(`/admin/users/${user.id}/sessions`)
        .set('Cookie', cookieFor(AppContext.Admin, staff))
        .expect(204);
      await refusedAfter();
    });
  });

  describe('the web account’s view of the link', () => {
    it('shows whether an account is linked, and unlinking ends its sessions at once', async () => {
      const user = await registerUser(app);
      const token = await logIn(app, AppContext.Web, user);
      expect(
        (await http().get('/web/auth/telegram').set('Cookie', web(token)).expect(200)).body,
      ).toEqual({
        linked: false,
      });
      const linked = await link({ telegramUserId: '90210', code: await issue(token) }).expect(201);
      const status = await http().get('/web/auth/telegram').set('Cookie', web(token)).expect(200);
      expect(status.body).toEqual({
        linked: true,
        telegramUserId: '90210',
        linkedAt: expect.any(String),
      });
      const bot = () =>
        http().get('/bot/auth/me').set('Authorization', `Bearer ${linked.body.token}`);
      await bot().expect(200);
      await http().delete('/web/auth/telegram').set('Cookie', web(token)).expect(204);
      await bot().expect(401);
      expect((await http().get('/web/auth/telegram').set('Cookie', web(token))).body).toEqual({
        linked: false,
      });
    });
  });

  // Last: a second application closed mid-file breaks the first one's DataSource (shared name registry).
  it('answers 503 when no bot secret is configured', async () => {
    const unconfigured = await startTestApp({ BOT_API_SECRET: '' });
    try {
      await request(unconfigured.getHttpServer())
        .post('/bot/auth/link')
        .set('X-Bot-Secret', 'anything')
        .send({ telegramUserId: '1', code: 'A'.repeat(22) })
        .expect(503);
    } finally {
      await unconfigured.close();
    }
  });
});
