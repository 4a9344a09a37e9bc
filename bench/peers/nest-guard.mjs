// The smallest Nest app doing the API's cached job: Nest on Fastify, one global guard
// (APP_GUARD) that reads the `web_session` cookie and does one Redis GET; `GET /me` behind
// it, and a public `GET /health` that is the bare-Nest floor. Plain JavaScript (the bench has
// no compile step), so decorators are applied as the functions they are. Started by bench/run.mjs.
import 'reflect-metadata';
import { createHash } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import { Controller, Get, Module, Req, SetMetadata, UnauthorizedException } from '@nestjs/common';
import { APP_GUARD, NestFactory, Reflector } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { createClient } from '@redis/client';

const REDIS = Symbol('REDIS');
const PUBLIC = 'public';

const sessionKey = (token) =>
  `bench-peer:session:${createHash('sha256').update(token).digest('hex')}`;

class SessionGuard {
  constructor(redis, reflector) {
    this.redis = redis;
    this.reflector = reflector;
  }

  async canActivate(context) {
    if (this.reflector.get(PUBLIC, context.getHandler()) === true) return true;
    const request = context.switchToHttp().getRequest();
    const token = request.cookies.web_session;
    const stored = token === undefined ? null : await this.redis.get(sessionKey(token));
    if (stored === null) throw new UnauthorizedException();
    request.session = JSON.parse(stored);
    return true;
  }
}

class SessionController {
  health() {
    return { status: 'ok' };
  }

  me(request) {
    const { user, permissions, expiresAt } = request.session;
    return { user, permissions, session: { expiresAt } };
  }
}

/** What TypeScript emits for `@Decorator() method(@Param() x)`. */
function decorateMethod(target, name, decorators, parameterDecorators = []) {
  const descriptor = Object.getOwnPropertyDescriptor(target.prototype, name);
  parameterDecorators.forEach((decorate, index) => decorate(target.prototype, name, index));
  for (const decorate of decorators) decorate(target.prototype, name, descriptor);
}
decorateMethod(SessionController, 'health', [Get('health'), SetMetadata(PUBLIC, true)]);
decorateMethod(SessionController, 'me', [Get('me')], [Req()]);
Controller()(SessionController);

class AppModule {}
Module({
  controllers: [SessionController],
  providers: [
    {
      provide: REDIS,
      useFactory: async () => createClient({ url: process.env.REDIS_URL }).connect(),
    },
    {
      provide: APP_GUARD,
      useFactory: (redis, reflector) => new SessionGuard(redis, reflector),
      inject: [REDIS, Reflector],
    },
  ],
})(AppModule);

const app = await NestFactory.create(AppModule, new FastifyAdapter(), {
  logger: ['error', 'warn'],
});
await app.register(fastifyCookie);
await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
