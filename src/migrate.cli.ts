import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { databasesFor } from './common/app-context.js';
import { loadConfig } from './config/app-config.js';
import { dataSourceOptions } from './database/data-source-options.js';
import { runPendingMigrations } from './database/migrate.js';
import { runCommand, withDatabaseUrls } from './database/with-databases.js';
import { SCHEMAS } from './schemas.js';

/**
 * `npm run migration:run`: applies pending migrations to every database the configured
 * APP_CONTEXTS use (the embedded server's when no URL is set), then exits.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  await withDatabaseUrls(config, async (urls) => {
    for (const database of databasesFor(config.contexts)) {
      const url = urls[database];
      if (url === undefined) throw new Error(`No URL for the ${database} database`);
      const dataSource = await new DataSource(
        dataSourceOptions(database, SCHEMAS[database], url),
      ).initialize();
      try {
        const applied = await runPendingMigrations(dataSource, SCHEMAS[database]);
        console.log(`${database}: ${applied.length === 0 ? 'up to date' : applied.join(', ')}`);
      } finally {
        await dataSource.destroy();
      }
    }
  });
}

runCommand(main);
