import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppContext, CONTEXTS } from '../src/common/app-context.js';
import { startTestApp } from './support/test-app.js';
import { cookieFor, linkTelegram, logIn, registerAdmin } from './support/users.js';

const meOf = (context: AppContext) => `/${CONTEXTS[context].routePrefix}/auth/me`;

describe('context isolation', () => {
  let app: NestFastifyApplication;
  const tokens = {} as Record<AppContext, string>;

  beforeAll(async () => {
    app = await startTestApp();
    // One user with a session in each context.
    const user = await registerAdmin(app);
    tokens[AppContext.Web] = await logIn(app, AppContext.Web, user);
    tokens[AppContext.Admin] = await logIn(app, AppContext.Admin, user);
    tokens[AppContext.Telegram] = await linkTelegram(app, tokens[AppContext.Web]);
  });
  afterAll(() => app.close());

  it.each(Object.values(AppContext))('accepts a %s session on its own routes', async (context) => {
    await request(app.getHttpServer())
      .get(meOf(context))
      .set('Authorization', `Bearer ${tokens[context]}`)
      .expect(200);
  });

  const pairs = Object.values(AppContext).flatMap((from) =>
    Object.values(AppContext)
      .filter((to) => to !== from)
      .map((to) => [from, to] as const),
  );

  it.each(pairs)('does not accept a %s session on %s routes', async (from, to) => {
    const token = tokens[from];
    const http = () => request(app.getHttpServer());
    // As a bearer token, as the other context's cookie, and under its own cookie name.
    await http().get(meOf(to)).set('Authorization', `Bearer ${token}`).expect(401);
    await http().get(meOf(to)).set('Cookie', cookieFor(to, token)).expect(401);
    await http().get(meOf(to)).set('Cookie', cookieFor(from, token)).expect(401);
    // Nor can it revoke anything there: logout answers 204 but the session lives on.
    await http()
      .post(`/${CONTEXTS[to].routePrefix}/auth/logout`)
      .set('Authorization', `Bearer ${token}`)
      .expect(204);
    await http().get(meOf(from)).set('Authorization', `Bearer ${token}`).expect(200);
  });
});
