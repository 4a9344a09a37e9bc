import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Controller, Get, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppModule, type AppOptions } from '../src/app.module.js';
import { createApp } from '../src/main.js';

/** The database made for this run (the runner creates and drops it) and the Redis to share. */
const { DATABASE_URL, REDIS_URL } = process.env;
if (DATABASE_URL === undefined) throw new Error('Set DATABASE_URL to an empty database');
/** Fresh Redis keys per run: throttling counters of an earlier run never count here. */
const base: AppOptions = {
  databaseUrl: DATABASE_URL,
  redisUrl: REDIS_URL,
  namespace: `example-${randomUUID()}`,
};
const PASSWORD = 'correct horse battery staple';
const APP_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Starts the app with these options; `http()` speaks to it. */
function serve(options: AppOptions) {
  let app: NestFastifyApplication;
  before(async () => {
    app = await createApp(options);
    await app.getHttpAdapter().getInstance().ready();
  });
  after(() => app.close());
  return () => request(app.getHttpServer());
}

type Http = ReturnType<typeof serve>;

/** A new user; their session cookie (name=value). */
async function register(http: Http): Promise<{ email: string; cookie: string }> {
  const email = `${randomUUID()}@example.com`;
  const response = await http()
    .post('/notes/auth/register')
    .send({ email, password: PASSWORD })
    .expect(201);
  const cookie = ([] as string[])
    .concat(response.headers['set-cookie'] ?? [])
    .find((value) => value.startsWith('notes_session='));
  assert.match(cookie ?? '', /HttpOnly/);
  assert.match(cookie ?? '', /Path=\/notes/);
  return { email, cookie: (cookie ?? '').split(';')[0] ?? '' };
}

describe('the packed package', () => {
  it('is loaded from this app’s node_modules, a copy, with only the peers the app chose', () => {
    const resolved = realpathSync(fileURLToPath(import.meta.resolve('@exchanger/identity')));
    assert.ok(resolved.startsWith(realpathSync(`${APP_ROOT}/node_modules`)), resolved);
    // The API documentation library stays the host's choice: the package brings no Swagger.
    assert.throws(() => import.meta.resolve('@nestjs/swagger'), /Cannot find/);
  });
});

describe('with the global guards', () => {
  const http = serve(base);

  it('registers, logs in and answers who the user is', async () => {
    const { email } = await register(http);
    const login = await http()
      .post('/notes/auth/login')
      .send({ email, password: PASSWORD })
      .expect(200);
    const token = /notes_session=([^;]+)/.exec(String(login.headers['set-cookie']))?.[1];
    const me = await http()
      .get('/notes/auth/me')
      .set('Authorization', `Bearer ${token}`)
      .expect(200);
    assert.equal(me.body.user.email, email);
    assert.deepEqual(me.body.permissions, ['notes:read']);
  });

  it('refuses a body with a field it does not know, in the host’s error shape', async () => {
    const response = await http()
      .post('/notes/auth/register')
      .send({ email: `${randomUUID()}@example.com`, password: PASSWORD, role: 'admin' })
      .expect(400);
    assert.deepEqual(response.body.message, ['property role should not exist']);
  });

  it('answers 401 without a session, serves a session, and leaves public routes open', async () => {
    await http().get('/notes').expect(401);
    const { email, cookie } = await register(http);
    const response = await http().get('/notes').set('Cookie', cookie).expect(200);
    assert.equal(response.body.owner, email);
    await http().get('/health').expect(200);
  });

  it('answers 403 naming the permission the user lacks', async () => {
    const { cookie } = await register(http);
    const response = await http().get('/notes/archive').set('Cookie', cookie).expect(403);
    assert.equal(response.body.message, 'Missing permission: notes:archive');
  });

  it('revokes the session at once on logout', async () => {
    const { cookie } = await register(http);
    await http().get('/notes').set('Cookie', cookie).expect(200);
    await http().post('/notes/auth/logout').set('Cookie', cookie).expect(204);
    await http().get('/notes/auth/me').set('Cookie', cookie).expect(401);
    await http().get('/notes').set('Cookie', cookie).expect(401);
  });

  it('serves the optional-session route to guests and to users, and ends a revoked session there', async () => {
    const guest = await http().get('/notes/welcome').expect(200);
    assert.equal(guest.body.greeting, 'Hello, guest');
    const { email, cookie } = await register(http);
    const user = await http().get('/notes/welcome').set('Cookie', cookie).expect(200);
    assert.equal(user.body.greeting, `Hello, ${email}`);
    await http().post('/notes/auth/logout').set('Cookie', cookie).expect(204);
    const after = await http().get('/notes/welcome').set('Cookie', cookie).expect(200);
    assert.equal(after.body.greeting, 'Hello, guest');
  });

  it('refuses to start while a controller declares no context', async () => {
    @Controller('stray')
    class StrayController {
      @Get()
      get() {
        return 'never served';
      }
    }
    @Module({ imports: [AppModule.forRoot(base)], controllers: [StrayController] })
    class StrayHost {}
    const app = await NestFactory.create(StrayHost, new FastifyAdapter(), { logger: false });
    await assert.rejects(app.init(), /StrayController/);
    await app.close();
  });
});

describe('with globalGuards: false and @UseGuards on the controller', () => {
  const http = serve({ ...base, globalGuards: false });

  it('answers 401 without a session, 403 naming a missing permission, and serves a session', async () => {
    await http().get('/notes').expect(401);
    const { email, cookie } = await register(http);
    const notes = await http().get('/notes').set('Cookie', cookie).expect(200);
    assert.equal(notes.body.owner, email);
    const archive = await http().get('/notes/archive').set('Cookie', cookie).expect(403);
    assert.equal(archive.body.message, 'Missing permission: notes:archive');
    await http().get('/health').expect(200);
  });

  it('serves the optional-session route to guests and to users', async () => {
    const guest = await http().get('/notes/welcome').expect(200);
    assert.equal(guest.body.greeting, 'Hello, guest');
    const { email, cookie } = await register(http);
    const user = await http().get('/notes/welcome').set('Cookie', cookie).expect(200);
    assert.equal(user.body.greeting, `Hello, ${email}`);
  });
});
