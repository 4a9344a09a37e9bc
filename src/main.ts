import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from './app.factory.js';
import { databasesFor } from './common/app-context.js';
import { createLogger } from './common/logging.js';
import { type AppConfig, loadConfig } from './config/app-config.js';
import { ConfigError } from './config/env.schema.js';
import { type EmbeddedPostgres, EmbeddedPostgresError } from './database/embedded-postgres.js';
import { openEmbeddedDatabases } from './database/with-databases.js';

/** A stuck shutdown must still end the process. */
const SHUTDOWN_DEADLINE_MS = 15_000;

async function main(): Promise<void> {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`Invalid configuration: ${error.message}\n`);
    process.exitCode = 1;
    return;
  }
  const log = createLogger(config.log.level);

  let embedded: EmbeddedPostgres | undefined;
  let app: NestFastifyApplication | undefined;
  const shutdown = once(async () => {
    setTimeout(() => process.exit(1), SHUTDOWN_DEADLINE_MS).unref();
    // HTTP first (in-flight requests finish, new ones get 503), then the application's
    // Redis and DataSources, then the embedded server they were connected to.
    await app?.getHttpAdapter().close();
    await app?.close();
    await embedded?.stop();
    log.info('Stopped');
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      log.info(`${signal} received, shutting down`);
      shutdown().then(
        () => process.exit(0),
        (error: unknown) => {
          log.error({ err: error }, 'Shutdown failed');
          process.exit(1);
        },
      );
    });
  }

  try {
    if (config.embeddedPostgres !== undefined) {
      const opened = await openEmbeddedDatabases(
        config.embeddedPostgres,
        databasesFor(config.contexts),
        (message) => log.info(message),
      );
      embedded = opened.server;
      config = { ...config, database: { ...config.database, urls: opened.urls } };
    }
    if (config.redis.url === undefined && config.redis.sentinel === undefined) {
      log.warn('REDIS_URL is not set: caching in process memory (one process only)');
    }
    app = await createApp(config);
    await app.listen({ port: config.http.port, host: config.http.host });
    log.info(`Listening on http://${config.http.host}:${config.http.port}`);
  } catch (error) {
    // A known problem gets one line that says what to do, like a configuration error.
    if (error instanceof EmbeddedPostgresError) process.stderr.write(`${error.message}\n`);
    else log.fatal({ err: error }, 'Start-up failed');
    await shutdown().catch(() => undefined);
    process.exitCode = 1;
  }
}

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= action());
}

await main();
