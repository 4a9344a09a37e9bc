import 'reflect-metadata';
import cluster from 'node:cluster';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import { createApp } from './app.factory.js';
import { databasesFor } from './common/app-context.js';
import { createLogger } from './common/logging.js';
import { type AppConfig, DATABASE_URL_VARIABLE, loadConfig } from './config/app-config.js';
import { ConfigError } from './config/env.schema.js';
import { type EmbeddedPostgres, EmbeddedPostgresError } from './database/embedded-postgres.js';
import { openEmbeddedDatabases } from './database/with-databases.js';
import { superviseWorkers } from './workers.js';

/** A stuck shutdown must still end the process. */
const SHUTDOWN_DEADLINE_MS = 15_000;

/**
 * Start-up: validate the configuration; start the embedded database when no URL is set;
 * then serve — from this process, or, with WORKERS > 1, from workers forked by this one
 * (they get the embedded database's URLs; this process owns it and stops it last).
 */
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
  try {
    if (config.embeddedPostgres !== undefined && cluster.isPrimary) {
      const opened = await openEmbeddedDatabases(
        config.embeddedPostgres,
        databasesFor(config.contexts),
        (message) => log.info(message),
      );
      embedded = opened.server;
      config = { ...config, database: { ...config.database, urls: opened.urls } };
    }
  } catch (error) {
    // A known problem gets one line that says what to do, like a configuration error.
    if (error instanceof EmbeddedPostgresError) process.stderr.write(`${error.message}\n`);
    else log.fatal({ err: error }, 'Start-up failed');
    process.exitCode = 1;
    return;
  }
  if (
    config.redis.url === undefined &&
    config.redis.sentinel === undefined &&
    config.redis.cluster === undefined
  ) {
    log.warn('REDIS_URL is not set: caching in process memory (one process only)');
  }
  if (cluster.isPrimary && config.workers > 1) {
    process.exitCode = await superviseWorkers(
      config.workers,
      workerEnvironment(config),
      log,
      SHUTDOWN_DEADLINE_MS,
      async () => {
        await embedded?.stop();
        log.info('Stopped');
      },
    );
    return;
  }
  await serve(config, log, embedded);
}

/** What a worker needs besides the primary's environment: the embedded database's URLs. */
function workerEnvironment(config: AppConfig): NodeJS.ProcessEnv {
  if (config.embeddedPostgres === undefined) return {};
  return Object.fromEntries(
    Object.entries(config.database.urls).map(([database, url]) => [
      DATABASE_URL_VARIABLE[database as keyof typeof DATABASE_URL_VARIABLE],
      url,
    ]),
  );
}

/** Serves HTTP from this process until SIGINT/SIGTERM, then stops in order. */
async function serve(
  config: AppConfig,
  log: Logger,
  embedded: EmbeddedPostgres | undefined,
): Promise<void> {
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
  // A worker whose primary is gone (killed) stops too, instead of serving unsupervised.
  const stopSignals = cluster.isWorker
    ? (['SIGINT', 'SIGTERM', 'disconnect'] as const)
    : (['SIGINT', 'SIGTERM'] as const);
  for (const signal of stopSignals) {
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
    app = await createApp(config);
    await app.listen({ port: config.http.port, host: config.http.host });
    log.info(`Listening on http://${config.http.host}:${config.http.port}`);
  } catch (error) {
    log.fatal({ err: error }, 'Start-up failed');
    await shutdown().catch(() => undefined);
    process.exitCode = 1;
  }
}

function once(action: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  return () => (running ??= action());
}

await main();
