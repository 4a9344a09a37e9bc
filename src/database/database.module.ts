import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import type { Database } from '../common/app-context.js';
import type { DatabaseConfig } from '../config/app-config.js';
import { dataSourceOptions, type Schema } from './data-source-options.js';
import { runPendingMigrations } from './migrate.js';

/**
 * One named TypeORM DataSource per database the process uses (identity always, plus one
 * per mounted application). Application modules bind theirs with
 * `TypeOrmModule.forFeature(entities, Database.X)`.
 */
@Module({})
export class DatabaseModule {
  static forRoot(
    config: DatabaseConfig,
    schemas: Readonly<Partial<Record<Database, Schema>>>,
  ): DynamicModule {
    const logger = new Logger('Database');
    const databases = Object.keys(schemas) as Database[];
    return {
      module: DatabaseModule,
      imports: databases.map((database) =>
        TypeOrmModule.forRootAsync({
          name: database,
          useFactory: () => ({
            ...dataSourceOptions(
              database,
              schemas[database] as Schema,
              requireUrl(config, database),
              config,
              config.replicaUrls[database],
            ),
            retryAttempts: 2,
            retryDelay: 1_000,
          }),
          dataSourceFactory: async (options) => {
            const dataSource = await new DataSource(options as DataSourceOptions).initialize();
            if (config.migrate) {
              const applied = await runPendingMigrations(dataSource, schemas[database]);
              if (applied.length > 0) logger.log(`${database}: applied ${applied.join(', ')}`);
            }
            return dataSource;
          },
        }),
      ),
    };
  }
}

function requireUrl(config: DatabaseConfig, database: Database): string {
  const url = config.urls[database];
  if (url === undefined) throw new Error(`No URL configured for the ${database} database`);
  return url;
}
