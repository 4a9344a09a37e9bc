import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppContext } from '../src/common/app-context.js';
import { startTestApp } from './support/test-app.js';
import { TEST_BOT_SECRET } from './support/test-env.js';
import { cookieFor, logIn, registerUser } from './support/users.js';

describe('Telegram account linking', () => {
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  async function code(): Promise<string> {
    const token = await logIn(app, AppContext.Web, await registerUser(app));
    const issued = await http()
      .post('/web/auth/telegram/link-code')
      .set('Cookie', cookieFor(AppContext.Web, token))
      .expect(201);
    expect(issued.body.code).toMatch(/^[A-Za-z0-9_-]{22}$/);
    return issued.body.code as string;
  }
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
