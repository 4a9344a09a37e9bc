import { LinkCodesService, UsersService } from '@exchanger/identity';
import { Role } from '../../src/common/roles.js';
import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppContext, CONTEXTS } from '../../src/common/app-context.js';
import { PERMISSIONS_OF } from '../../src/common/permissions.js';

export const PASSWORD = 'correct horse battery';

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomUUID()}@example.test`;
}

export interface TestUser {
  id: string;
  email: string;
  password: string;
}

/** A registered web user (through the real endpoint). */
export async function registerUser(app: NestFastifyApplication, label?: string): Promise<TestUser> {
  const email = uniqueEmail(label);
  const response = await request(app.getHttpServer())
    .post('/web/auth/register')
    .send({ email, password: PASSWORD })
    .expect(201);
  return { id: response.body.user.id, email, password: PASSWORD };
}

/** A registered user made admin, with the first admin's permissions. */
export async function registerAdmin(app: NestFastifyApplication): Promise<TestUser> {
  const user = await registerUser(app, 'admin');
  const users = app.get(UsersService);
  await users.setRole(user.id, Role.Admin);
  for (const permission of PERMISSIONS_OF[AppContext.Admin]) {
    await users.grant(user.id, AppContext.Admin, permission, null);
  }
  return user;
}

/** Logs in through the real endpoint; returns the session token from the cookie. */
export async function logIn(
  app: NestFastifyApplication,
  context: AppContext.Web | AppContext.Admin,
  user: TestUser,
): Promise<string> {
  const response = await request(app.getHttpServer())
    .post(`/${CONTEXTS[context].routePrefix}/auth/login`)
    .send({ email: user.email, password: user.password })
    .expect(200);
  return sessionCookieOf(response.headers['set-cookie'], context);
}

export function sessionCookieOf(
  setCookie: string | string[] | undefined,
  context: AppContext,
): string {
  const cookies = Array.isArray(setCookie) ? setCookie : setCookie === undefined ? [] : [setCookie];
  const name = CONTEXTS[context].sessionCookie;
  const cookie = cookies.find((value) => value.startsWith(`${name}=`));
  if (cookie === undefined) throw new Error(`no ${name} cookie in ${JSON.stringify(setCookie)}`);
  return cookie.slice(name.length + 1).split(';')[0] ?? '';
}

/** `Cookie:` header value carrying a session token for a context. */
export function cookieFor(context: AppContext, token: string): string {
  return `${CONTEXTS[context].sessionCookie}=${token}`;
}

/**
 * A telegram session of the user of a web session, opened as the bot's `/start CODE` opens
 * one (a link code redeemed by identity), but with its token handed to the test: for tests
 * of the telegram context's session routes. The bot itself never holds a token.
 */
export async function linkTelegram(app: NestFastifyApplication, webToken: string): Promise<string> {
  const issued = await request(app.getHttpServer())
    .post('/web/auth/telegram/link-code')
    .set('Cookie', cookieFor(AppContext.Web, webToken))
    .expect(201);
  const telegramUserId = String(Math.floor(Math.random() * 1e12) + 1);
  const codes = app.get(LinkCodesService);
  const found = await codes.find(issued.body.code as string, AppContext.Telegram);
  if (found === undefined) throw new Error('the link code just issued is not good');
  const { created } = await codes.redeem(
    found.reference,
    AppContext.Telegram,
    { ipAddress: null, userAgent: 'test' },
    { telegramUserId },
  );
  return created.token;
}
