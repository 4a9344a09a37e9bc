// The API's per-request features written plainly, the way a Nest app usually adds them: Nest
// on Fastify; helmet's middleware run on every response; a request id (the server's own) kept
// in an AsyncLocalStorage for the request and echoed as X-Request-Id; one global guard that
// reads the `web_session` cookie and does one Redis GET; a second global guard that checks
// the permissions the route declares in its metadata; and the user-and-session answer built
// with ISO dates (the API's own /me answer). The cached job of the API's
// `GET /web/auth/me`, feature for feature. Plain JavaScript, decorators applied as functions
// (as in nest-guard.mjs). Started by bench/run.mjs.
import 'reflect-metadata';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash, randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import {
  Controller,
  ForbiddenException,
  Get,
  Module,
  Req,
  SetMetadata,
  UnauthorizedException,
} from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createClient } from '@redis/client';
import helmet from 'helmet';

const REDIS = Symbol('REDIS');
const PERMISSIONS = 'permissions';
const requestContext = new AsyncLocalStorage();

/** The copy of the API's /me answer the harness seeded (bench/lib/setup.mjs). */
const sessionKey = (token) =>
  `bench-peer:features:${createHash('sha256').update(token).digest('hex')}`;

class SessionGuard {
  constructor(redis) {
    this.redis = redis;
  }

  async canActivate(context) {
    const request = context.switchToHttp().getRequest();
    const { requestId } = requestContext.getStore();
    const token = request.cookies.web_session;
    const stored = token === undefined ? null : await this.redis.get(sessionKey(token));
    if (stored === null) throw new UnauthorizedException(`${requestId}: no session`);
    request.session = JSON.parse(stored);
    return true;
  }
}

class PermissionsGuard {
  constructor(reflector) {
    this.reflector = reflector;
  }

  canActivate(context) {
    const required = this.reflector.getAllAndOverride(PERMISSIONS, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (required === undefined || required.length === 0) return true;
    const { permissions } = context.switchToHttp().getRequest().session;
    if (!required.every((permission) => permissions.includes(permission)))
      throw new ForbiddenException(`${requestContext.getStore().requestId}: not permitted`);
    return true;
  }
}

const iso = (value) => new Date(value).toISOString();

class SessionController {
  me(request) {
    const { user, permissions, session } = request.session;
    return {
      user: { id: user.id, email: user.email, role: user.role, emailVerified: user.emailVerified },
      permissions,
      session: {
        id: session.id,
        createdAt: iso(session.createdAt),
        expiresAt: iso(session.expiresAt),
      },
    };
  }
}

/** What TypeScript emits for `@Decorator() method(@Param() x)`. */
function decorateMethod(target, name, decorators, parameterDecorators = []) {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, name);
  parameterDecorators.forEach((decorate, index) => decorate(target.prototype, name, index));
  for (const decorate of decorators) decorate(target.prototype, name, descriptor);
}
// An empty list, as the API's /me declares: the guard still reads and checks it.
decorateMethod(SessionController, 'me', [Get('me'), SetMetadata(PERMISSIONS, [])], [Req()]);
Controller()(SessionController);

class AppModule {}
Module({
  controllers: [SessionController],
  providers: [
    {
      provide: REDIS,
      useFactory: async () => createClient({ url: process.env.REDIS_URL }).connect(),
    },
    { provide: APP_GUARD, useFactory: (redis) => new SessionGuard(redis), inject: [REDIS] },
    {
      provide: APP_GUARD,
      useFactory: (reflector) => new PermissionsGuard(reflector),
      inject: [Reflector],
    },
  ],
})(AppModule);

const app = await NestFactory.create(AppModule, new FastifyAdapter(), {
  logger: ['error', 'warn'],
});
await app.register(fastifyCookie);
const fastify = app.getHttpAdapter().getInstance();
const securityHeaders = helmet();
fastify.addHook('onRequest', (request, reply, done) => {
  const requestId = randomUUID();
  reply.header('x-request-id', requestId);
  securityHeaders(request.raw, reply.raw, (error) => {
    if (error) return done(error);
    requestContext.run({ requestId }, done);
  });
});
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
