import { Controller, Get } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { createHostApp } from '../examples/host-app/main.js';
import { HostAppModule } from '../examples/host-app/host-app.module.js';
import { TEST_HOST_APP_URL, TEST_REDIS_URL } from './support/test-env.js';
import { PASSWORD, uniqueEmail } from './support/users.js';

/** The example host app (examples/host-app): the modules imported by a NestJS app of its own. */
describe('the identity and session modules in another NestJS app', () => {
  const options = { databaseUrl: TEST_HOST_APP_URL, redisUrl: TEST_REDIS_URL };
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await createHostApp(options);
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());

  async function register(): Promise<{ email: string; cookie: string }> {
    const email = uniqueEmail('host');
    const response = await http()
      .post('/notes/auth/register')
      .send({ email, password: PASSWORD })
      .expect(201);
    const setCookie = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    const cookie = setCookie.find((value) => value.startsWith('notes_session='));
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Path=\/notes/);
    return { email, cookie: (cookie ?? '').split(';')[0] ?? '' };
  }

  it('registers, logs in and answers who the user is', async () => {
    const { email } = await register();
    const login = await http()
      .post('/notes/auth/login')
      .send({ email, password: PASSWORD })
      .expect(200);
    const token = /notes_session=([^;]+)/.exec(String(login.headers['set-cookie']))?.[1];
    const me = await http()
      .get('/notes/auth/me')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    expect(me.body.user.email).toBe(email);
    expect(me.body.permissions).toEqual(['notes:read']);
  });

  it('refuses its bodies by its own rules, whatever pipes the host has', async () => {
    const response = await http()
      .post('/notes/auth/register')
      .send({ email: uniqueEmail('host'), password: PASSWORD, role: 'admin' })
      .expect(400);
    // The host keeps its own error shape (here Nest's default, a list of messages).
    expect(response.body.message).toEqual(['property role should not exist']);
  });

  it('protects the host’s routes: no session is 401, a session is served', async () => {
    await http().get('/notes').expect(401);
    const { email, cookie } = await register();
    const response = await http().get('/notes').set('Cookie', cookie).expect(200);
    expect(response.body.owner).toBe(email);
    await http().get('/health').expect(200);
  });

  it('answers 403 naming the permission the user lacks', async () => {
    const { cookie } = await register();
    const response = await http().get('/notes/archive').set('Cookie', cookie).expect(403);
    expect(response.body.message).toBe('Missing permission: notes:archive');
  });

  it('revokes the session on logout', async () => {
    const { cookie } = await register();
    await http().get('/notes/auth/me').set('Cookie', cookie).expect(200);
    await http().post('/notes/auth/logout').set('Cookie', cookie).expect(204);
    await http().get('/notes/auth/me').set('Cookie', cookie).expect(401);
    await http().get('/notes').set('Cookie', cookie).expect(401);
  });

  describe('a route that declares no context', () => {
    @Controller('stray')
    class StrayController {
      @Get()
      get() {
        return 'should never be served';
      }
    }

    it('stops the host app from starting', async () => {
      const module = await Test.createTestingModule({
        imports: [HostAppModule.forRoot(options)],
        controllers: [StrayController],
      }).compile();
      const stray = module.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
      await expect(stray.init()).rejects.toThrow(/StrayController/);
      await stray.close();
    });
  });
});
