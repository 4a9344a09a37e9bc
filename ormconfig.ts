import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { Database } from './src/common/app-context.js';
import { DATABASE_URL_VARIABLE } from './src/config/app-config.js';
import { dataSourceOptions } from './src/database/data-source-options.js';

/**
 * The TypeORM CLI works on one database at a time; MIGRATION_DATABASE says which
 * (identity, web, admin or bot), and its DATABASE_*_URL where it is. For example:
 *   MIGRATION_DATABASE=web npm run typeorm -- migration:generate src/database/migrations/web/AddFoo
 */
const database = process.env.MIGRATION_DATABASE as Database;
if (!Object.values(Database).includes(database)) {
  throw new Error(`MIGRATION_DATABASE must be one of ${Object.values(Database).join(', ')}`);
}
const url = process.env[DATABASE_URL_VARIABLE[database]];
if (url === undefined || url === '') {
  throw new Error(`${DATABASE_URL_VARIABLE[database]} must be set`);
}

export default new DataSource(dataSourceOptions(database, url));
