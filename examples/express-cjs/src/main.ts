import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule, type AppOptions } from './app.module.js';

/** The app, ready to serve, on Nest's default adapter (Express). */
export async function createApp(options: AppOptions): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    logger: ['error', 'warn'],
    // A module that cannot start rejects here instead of ending the process.
    abortOnError: false,
  });
  await app.init();
  return app;
}

// `DATABASE_URL=postgres://… [REDIS_URL=redis://…] [GLOBAL_GUARDS=false] npm start`
async function main(): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl === undefined) throw new Error('Set DATABASE_URL');
  const app = await createApp({
    databaseUrl,
    redisUrl: process.env.REDIS_URL,
    globalGuards: process.env.GLOBAL_GUARDS !== 'false',
  });
  await app.listen(Number(process.env.PORT ?? 3000), '127.0.0.1');
}

if (require.main === module) void main();
