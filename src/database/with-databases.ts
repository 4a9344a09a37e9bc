import {
  type AppContext,
  type Database,
  databasesFor,
  defaultDatabaseName,
} from '../common/app-context.js';
import type { AppConfig, EmbeddedPostgresConfig } from '../config/app-config.js';
import { ConfigError } from '../config/env.schema.js';
import { EmbeddedPostgres, EmbeddedPostgresError } from './embedded-postgres.js';

/**
 * Starts the embedded server (or adopts a running one) and creates the named databases in
 * it; returns the server and each database's URL.
 */
export async function openEmbeddedDatabases(
  config: EmbeddedPostgresConfig,
  databases: readonly Database[],
  log: (message: string) => void,
): Promise<{ server: EmbeddedPostgres; urls: Partial<Record<Database, string>> }> {
  const server = await EmbeddedPostgres.start(config, log);
  const urls = await server.ensureDatabases(databases.map(defaultDatabaseName));
  return {
    server,
    urls: Object.fromEntries(databases.map((name) => [name, urls[defaultDatabaseName(name)]])),
  };
}

/**
 * For the command-line tools: the URL of each database the configuration names — the
 * embedded server's (started for the duration, and stopped after) when none is set.
 */
export async function withDatabaseUrls<T>(
  config: AppConfig,
  work: (urls: Partial<Record<Database, string>>) => Promise<T>,
  contexts: readonly AppContext[] = config.contexts,
): Promise<T> {
  if (config.embeddedPostgres === undefined) return work(config.database.urls);
  const { server, urls } = await openEmbeddedDatabases(
    config.embeddedPostgres,
    databasesFor(contexts),
    (message) => console.log(message),
  );
  try {
    return await work(urls);
  } finally {
    await server.stop();
  }
}

/**
 * Runs a command-line tool: a configuration or embedded-server problem ends it with one line
 * that says what to do (no stack trace), anything else with the error; exit code 1 either way.
 */
export function runCommand(main: () => Promise<void>): void {
  main().catch((error: unknown) => {
    const message =
      error instanceof ConfigError
        ? `Invalid configuration: ${error.message}`
        : error instanceof EmbeddedPostgresError
          ? error.message
          : error;
    console.error(message);
    process.exitCode = 1;
  });
}
