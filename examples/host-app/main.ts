import 'reflect-metadata';
import cookie from '@fastify/cookie';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { HostAppModule } from './host-app.module.js';

/** The host app's own start: `DATABASE_URL=postgres://… [REDIS_URL=redis://…] node dist/…/main.js`. */
export async function createHostApp(
  options: Parameters<typeof HostAppModule.forRoot>[0],
): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    HostAppModule.forRoot(options),
    new FastifyAdapter(),
    { logger: ['error', 'warn'] },
  );
  await app.register(cookie); // the identity module reads session cookies through it
  await app.init();
  return app;
}

if (process.argv[1] === import.meta.filename) {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl === undefined) throw new Error('Set DATABASE_URL');
  const app = await createHostApp({ databaseUrl, redisUrl: process.env.REDIS_URL });
  await app.listen({ port: Number(process.env.PORT ?? 3100), host: '127.0.0.1' });
}
