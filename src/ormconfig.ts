import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { Database } from './common/app-context.js';
import { DATABASE_URL_VARIABLE } from './config/app-config.js';
import { dataSourceOptions } from './database/data-source-options.js';
import { SCHEMAS } from './schemas.js';

/**
 * The DataSource the TypeORM CLI works on (through the top-level ormconfig.ts): one database
 * at a time, MIGRATION_DATABASE says which (identity, web, admin or bot), and its
 * DATABASE_*_URL where it is. On the identity database it holds this product's own
 * migrations; the identity package runs and records its own.
 */
const database = process.env.MIGRATION_DATABASE as Database;
if (!Object.values(Database).includes(database)) {
  throw new Error(`MIGRATION_DATABASE must be one of ${Object.values(Database).join(', ')}`);
}
const url = process.env[DATABASE_URL_VARIABLE[database]];
if (url === undefined || url === '') {
  throw new Error(`${DATABASE_URL_VARIABLE[database]} must be set`);
}

export default new DataSource(dataSourceOptions(database, SCHEMAS[database], url));
