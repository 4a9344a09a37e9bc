import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule, type AppOptions } from './app.module.js';

/** The app, ready to serve, on Fastify; the identity module reads and writes its cookies itself. */
export async function createApp(options: AppOptions): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot(options),
    new FastifyAdapter(),
    // A module that cannot start rejects here instead of ending the process.
    { logger: ['error', 'warn'], abortOnError: false },
  );
  await app.init();
  return app;
}

// `DATABASE_URL=postgres://… [REDIS_URL=redis://…] [GLOBAL_GUARDS=false] npm start`
if (process.argv[1] === import.meta.filename) {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl === undefined) throw new Error('Set DATABASE_URL');
  const app = await createApp({
    databaseUrl,
    redisUrl: process.env.REDIS_URL,
    globalGuards: process.env.GLOBAL_GUARDS !== 'false',
  });
  await app.listen({ port: Number(process.env.PORT ?? 3000), host: '127.0.0.1' });
}
