import type { AppContext, Database } from '../common/app-context.js';
import { databasesFor, defaultDatabaseName } from '../common/app-context.js';
import type { AppConfig } from '../config/app-config.js';
import { EmbeddedPostgres } from './embedded-postgres.js';

/**
 * For the command-line tools: the URL of each database the configuration names — the
 * embedded server's (started for the duration, and stopped after) when none is set.
 */
export async function withDatabaseUrls<T>(
  config: AppConfig,
  work: (urls: Partial<Record<Database, string>>) => Promise<T>,
  contexts: readonly AppContext[] = config.contexts,
): Promise<T> {
  const databases = databasesFor(contexts);
  if (config.embeddedPostgres === undefined) return work(config.database.urls);
  const embedded = await EmbeddedPostgres.start(config.embeddedPostgres, (message) =>
    console.log(message),
  );
  try {
    const urls = await embedded.ensureDatabases(databases.map(defaultDatabaseName));
    return await work(
      Object.fromEntries(databases.map((name) => [name, urls[defaultDatabaseName(name)]])),
    );
  } finally {
    await embedded.stop();
  }
}
