import {
  type AuthenticatedSession,
  ContextController,
  CurrentSession,
  CurrentSessionIfAny,
  IDENTITY_STORE,
  IdentityModule,
  type IdentityModuleExtras,
  OptionalSession,
  RequirePermissions,
  UseIdentityGuards,
} from '@exchanger/identity';
import { Controller, type DynamicModule, Get, type INestApplication, Module } from '@nestjs/common';
import { ExpressAdapter } from '@nestjs/platform-express';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { TEST_HOST_APP_URL, TEST_REDIS_URL } from './support/test-env.js';
import { PASSWORD, uniqueEmail } from './support/users.js';

@ContextController('notes', 'notes')
class NotesController {
  @Get()
  list(@CurrentSession() { user }: AuthenticatedSession) {
    return { owner: user.email };
  }

  @Get('archive')
  @RequirePermissions('notes:archive')
  archive() {
    return { archived: [] };
  }

  @Get('greeting')
  @OptionalSession()
  greeting(@CurrentSessionIfAny() session: AuthenticatedSession | undefined) {
    return { hello: session?.user.email ?? 'stranger' };
  }
}

/** Declares no context: what happens to it is the host's `undeclaredRoutes` choice. */
@Controller('plain')
class PlainController {
  @Get()
  open() {
    return { open: true };
  }
}

/** Guarded by the host itself (with `globalGuards: false`). */
@ContextController('notes', 'guarded')
@UseIdentityGuards()
class GuardedController {
  @Get()
  list(@CurrentSession() { user }: AuthenticatedSession) {
    return { owner: user.email };
  }
}

@Module({})
class AdaptersHostModule {
  static forRoot(
    identity: Pick<IdentityModuleExtras, 'globalGuards' | 'undeclaredRoutes'>,
    controllers: DynamicModule['controllers'],
  ): DynamicModule {
    return {
      module: AdaptersHostModule,
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url: TEST_HOST_APP_URL,
          ...IDENTITY_STORE,
        }),
        IdentityModule.forRoot({
          migrations: 'run',
          contexts: {
            notes: {
              lifetime: { idleMs: 3_600_000, absoluteMs: 86_400_000 },
              cookie: { name: 'notes_session', path: '/notes', sameSite: 'lax' },
              defaultPermissions: ['notes:read'],
            },
          },
          namespace: 'adapters',
          redis: { url: TEST_REDIS_URL, commandTimeoutMs: 200 },
          cookieSecure: true,
          ...identity,
        }),
        IdentityModule.forFeature({ context: 'notes', path: 'notes/auth', registration: true }),
      ],
      controllers,
    };
  }
}

const adapters = {
  express: () => new ExpressAdapter(),
  fastify: () => new FastifyAdapter(),
};

async function start(
  adapter: keyof typeof adapters,
  module: DynamicModule,
): Promise<INestApplication> {
  const testing = await Test.createTestingModule({ imports: [module] }).compile();
  const app = testing.createNestApplication(adapters[adapter]());
  await app.init();
  if (adapter === 'fastify') await app.getHttpAdapter().getInstance().ready();
  return app;
}

const sessionCookieOf = (setCookie: unknown): string | undefined =>
  ([] as string[])
    .concat((setCookie as string[] | undefined) ?? [])
    .find((v) => v.startsWith('notes_session='));

describe.each(Object.keys(adapters) as (keyof typeof adapters)[])(
  'the identity package on %s, with no cookie plugin',
  (adapter) => {
    let app: INestApplication;
    const http = () => request(app.getHttpServer());

    beforeAll(async () => {
      app = await start(adapter, AdaptersHostModule.forRoot({}, [NotesController]));
    });
    afterAll(() => app.close());

    async function signIn(): Promise<{ email: string; cookie: string }> {
      const email = uniqueEmail('adapters');
      await http().post('/notes/auth/register').send({ email, password: PASSWORD }).expect(201);
      const login = await http()
        .post('/notes/auth/login')
        .send({ email, password: PASSWORD })
        .expect(200);
      const setCookie = sessionCookieOf(login.headers['set-cookie']) ?? '';
      return { email, cookie: setCookie.split(';')[0] ?? '' };
    }

    it('registers and logs in with the session cookie and its attributes', async () => {
      const email = uniqueEmail('adapters');
      await http().post('/notes/auth/register').send({ email, password: PASSWORD }).expect(201);
      const login = await http()
        .post('/notes/auth/login')
        .send({ email, password: PASSWORD })
        .expect(200);
      expect(sessionCookieOf(login.headers['set-cookie'])).toMatch(
        /^notes_session=[^;]+; Max-Age=(3599|3600); Path=\/notes; HttpOnly; Secure; SameSite=Lax$/,
      );
    });

    it('answers 401 without a session, 403 naming the missing permission', async () => {
      await http().get('/notes').expect(401);
      const { email, cookie } = await signIn();
      expect((await http().get('/notes').set('Cookie', cookie).expect(200)).body.owner).toBe(email);
      const refused = await http().get('/notes/archive').set('Cookie', cookie).expect(403);
      expect(refused.body.message).toContain('notes:archive');
    });

    it('revokes the session at once on logout and clears the cookie', async () => {
      const { cookie } = await signIn();
      const logout = await http().post('/notes/auth/logout').set('Cookie', cookie).expect(204);
      expect(sessionCookieOf(logout.headers['set-cookie'])).toMatch(
        /^notes_session=; Max-Age=0; Path=\/notes; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; Secure; SameSite=Lax$/,
      );
      await http().get('/notes').set('Cookie', cookie).expect(401);
    });

    it('serves the optional-session route anonymous, signed in, and clears a revoked cookie', async () => {
      const anonymous = await http().get('/notes/greeting').expect(200);
      expect(anonymous.body.hello).toBe('stranger');
      expect(anonymous.headers['set-cookie']).toBeUndefined();
      const { email, cookie } = await signIn();
      const signedIn = await http().get('/notes/greeting').set('Cookie', cookie).expect(200);
      expect(signedIn.body.hello).toBe(email);
      await http().post('/notes/auth/logout').set('Cookie', cookie).expect(204);
      const revoked = await http().get('/notes/greeting').set('Cookie', cookie).expect(200);
      expect(revoked.body.hello).toBe('stranger');
      expect(sessionCookieOf(revoked.headers['set-cookie'])).toMatch(/^notes_session=; Max-Age=0;/);
    });

    it('with globalGuards: false, guards the controller the host marked and leaves the other open', async () => {
      const host = await start(
        adapter,
        AdaptersHostModule.forRoot({ globalGuards: false, undeclaredRoutes: 'public' }, [
          GuardedController,
          PlainController,
        ]),
      );
      try {
        await request(host.getHttpServer()).get('/guarded').expect(401);
        await request(host.getHttpServer()).get('/plain').expect(200, { open: true });
      } finally {
        await host.close();
      }
    });

    it("with undeclaredRoutes: 'public', serves a controller that declares no context", async () => {
      const host = await start(
        adapter,
        AdaptersHostModule.forRoot({ undeclaredRoutes: 'public' }, [
          NotesController,
          PlainController,
        ]),
      );
      try {
        await request(host.getHttpServer()).get('/plain').expect(200, { open: true });
        await request(host.getHttpServer()).get('/notes').expect(401);
      } finally {
        await host.close();
      }
    });

    it("with undeclaredRoutes: 'refuse' (the default), refuses to start", async () => {
      await expect(
        start(adapter, AdaptersHostModule.forRoot({}, [NotesController, PlainController])),
      ).rejects.toThrow(/PlainController/);
    });
  },
);
