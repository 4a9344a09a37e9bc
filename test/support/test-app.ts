import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/app-config.js';
import { testEnv } from './test-env.js';

/** The real application (AppModule, Fastify, filters) on the test databases and Redis. */
export function startTestApp(
  overrides: Record<string, string | undefined> = {},
): Promise<NestFastifyApplication> {
  return createApp(loadConfig(testEnv(overrides)));
}
