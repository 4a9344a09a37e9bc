import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppContext } from '../src/common/app-context.js';
import { startTestApp } from './support/test-app.js';
import { cookieFor, logIn, registerUser } from './support/users.js';

describe('web: the customer profile', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  const http = () => request(app.getHttpServer());

  async function customerCookie(): Promise<string> {
    const user = await registerUser(app, 'profile');
    return cookieFor(AppContext.Web, await logIn(app, AppContext.Web, user));
  }

  const DEFAULTS = {
    displayName: null,
    language: null,
    timeZone: null,
    alerts: { email: true, telegram: true },
  };

  it('starts with no name, no language, no time zone and every alert on', async () => {
    const cookie = await customerCookie();
    const response = await http().get('/web/profile').set('Cookie', cookie).expect(200);
    expect(response.body).toEqual(DEFAULTS);
  });

  it('changes only the fields sent, clears one sent as null, and keeps each user’s own', async () => {
    const cookie = await customerCookie();
    const otherCookie = await customerCookie();
    const changed = await http()
      .patch('/web/profile')
      .set('Cookie', cookie)
      .send({ displayName: 'Анна К.', language: 'ru', timeZone: 'Europe/Moscow' })
      .expect(200);
    expect(changed.body).toEqual({
      displayName: 'Анна К.',
      language: 'ru',
      timeZone: 'Europe/Moscow',
      alerts: { email: true, telegram: true },
    });
    await http()
      .patch('/web/profile')
      .set('Cookie', cookie)
      .send({ alerts: { telegram: false }, timeZone: null })
      .expect(200);
    const read = await http().get('/web/profile').set('Cookie', cookie).expect(200);
    expect(read.body).toEqual({
      displayName: 'Анна К.',
      language: 'ru',
      timeZone: null,
      alerts: { email: true, telegram: false },
    });
    const other = await http().get('/web/profile').set('Cookie', otherCookie).expect(200);
    expect(other.body).toEqual(DEFAULTS);
  });

  it.each([
    [{ language: 'de' }, 'language must be one of en, ru'],
    [{ timeZone: 'Mars/Olympus_Mons' }, 'timeZone must be an IANA time zone'],
    [{ displayName: 'x'.repeat(101) }, 'displayName must be 1 to 100 characters'],
    [{ displayName: ' Anna' }, 'displayName must not start or end with a space'],
    [
      { displayName: 'An\u0000na' },
      'displayName must not start or end with a space or hold control characters',
    ],
    [{ alerts: { email: 'yes' } }, 'alerts.email must be true or false'],
    [{ alerts: 'off' }, 'alerts must be an object'],
    [{ theme: 'dark' }, 'theme'],
  ])('refuses %j with 400 naming the problem, changing nothing', async (body, message) => {
    const cookie = await customerCookie();
    const response = await http()
      .patch('/web/profile')
      .set('Cookie', cookie)
      .send(body)
      .expect(400);
    expect(response.body.message).toContain(message);
    const read = await http().get('/web/profile').set('Cookie', cookie).expect(200);
    expect(read.body).toEqual(DEFAULTS);
  });

  it('needs a web session (401)', async () => {
    await http().get('/web/profile').expect(401);
    await http().patch('/web/profile').send({ language: 'en' }).expect(401);
  });
});
