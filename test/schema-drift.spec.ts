import { DataSource } from 'typeorm';
import { Database } from '../src/common/app-context.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { SCHEMAS } from '../src/schemas.js';
import { testDatabaseUrl } from './support/test-env.js';

/**
 * The migrated test databases must be exactly what the entities describe: the SQL TypeORM
 * would generate for a new migration is empty. An entity changed without a migration (or
 * a migration missing from its index) fails here.
 */
describe('entities and migrations', () => {
  it.each(Object.values(Database))('agree for the %s database', async (database) => {
    const dataSource = await new DataSource(
      dataSourceOptions(database, SCHEMAS[database], testDatabaseUrl(database)),
    ).initialize();
    try {
      const pending = await dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((query) => query.query)).toEqual([]);
      expect(await dataSource.showMigrations()).toBe(false);
    } finally {
      await dataSource.destroy();
    }
  });
});
