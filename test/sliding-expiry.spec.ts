import { sessionIdOf } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AppContext, Database } from '../src/common/app-context.js';
import { startTestApp } from './support/test-app.js';
import { cookieFor, logIn, registerUser } from './support/users.js';

/** Idle 4 s, absolute 7 s: an extension is due once less than 2 s are left. */
describe('sliding expiry', () => {
  let app: NestFastifyApplication;
  let identity: DataSource;

  beforeAll(async () => {
    app = await startTestApp({ SESSION_WEB_IDLE_SECONDS: '4', SESSION_WEB_ABSOLUTE_SECONDS: '7' });
    identity = app.get<DataSource>(getDataSourceToken(Database.Identity));
  });
  afterAll(() => app.close());

  it('extends at most once per half idle life, re-sends the cookie, and stops at the absolute limit', async () => {
    const token = await logIn(app, AppContext.Web, await registerUser(app));
    const started = Date.now();
    const at = (seconds: number) => sleep(Math.max(0, started + seconds * 1_000 - Date.now()));
    const me = () =>
      request(app.getHttpServer())
        .get('/web/auth/me')
        .set('Cookie', cookieFor(AppContext.Web, token));
    const row = async () => {
      const rows: Array<{ expires_at: Date; last_activity: Date }> = await identity.query(
        'SELECT expires_at, last_activity FROM sessions WHERE id = $1',
        [sessionIdOf(token)],
      );
      return rows[0];
    };
    const maxAge = (setCookie: unknown) => Number(/Max-Age=(\d+)/.exec(String(setCookie))?.[1]);

    const initial = await row();
    await at(0.5);
    expect((await me().expect(200)).headers['set-cookie']).toBeUndefined();

    await at(2.4); // 1.6 s left: extend to now + 4 s
    const extended = await me().expect(200);
    expect(maxAge(extended.headers['set-cookie'])).toBeGreaterThanOrEqual(3);
    expect(String(extended.headers['set-cookie'])).toMatch(/Path=\/web; HttpOnly; SameSite=Lax/);
    const afterExtension = await row();
    expect(afterExtension?.expires_at.getTime()).toBeGreaterThan(
      initial!.expires_at.getTime() + 2_000,
    );
    expect(afterExtension?.last_activity.getTime()).toBeGreaterThan(
      initial!.last_activity.getTime(),
    );

    await at(2.8); // just extended: no write, no cookie
    expect((await me().expect(200)).headers['set-cookie']).toBeUndefined();
    expect(await row()).toEqual(afterExtension);

    await at(5.0); // due again, but capped at the absolute limit (7 s after login)
    const capped = await me().expect(200);
    expect(maxAge(capped.headers['set-cookie'])).toBeLessThanOrEqual(2);
    expect((await row())?.expires_at.getTime()).toBeLessThanOrEqual(started + 7_500);

    await at(7.5);
    await me().expect(401);
  }, 20_000);
});
