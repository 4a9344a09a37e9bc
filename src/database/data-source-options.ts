import type { DataSourceOptions } from 'typeorm';
import { Database } from '../common/app-context.js';
import { ADMIN_ENTITIES } from '../admin/entities/index.js';
import { BOT_ENTITIES } from '../bot/entities/index.js';
import { IDENTITY_ENTITIES } from '../identity/entities/index.js';
import { WEB_ENTITIES } from '../web/entities/index.js';
import { ADMIN_MIGRATIONS } from './migrations/admin/index.js';
import { BOT_MIGRATIONS } from './migrations/bot/index.js';
import { IDENTITY_MIGRATIONS } from './migrations/identity/index.js';
import { WEB_MIGRATIONS } from './migrations/web/index.js';

/** What each database holds. Lists, not globs: the same classes load under tsc, Jest and the CLI. */
export const SCHEMAS: Readonly<
  Record<Database, { readonly entities: Function[]; readonly migrations: Function[] }>
> = {
  [Database.Identity]: { entities: IDENTITY_ENTITIES, migrations: IDENTITY_MIGRATIONS },
  [Database.Web]: { entities: WEB_ENTITIES, migrations: WEB_MIGRATIONS },
  [Database.Admin]: { entities: ADMIN_ENTITIES, migrations: ADMIN_MIGRATIONS },
  [Database.Bot]: { entities: BOT_ENTITIES, migrations: BOT_MIGRATIONS },
};

export interface ConnectionTuning {
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

export const DEFAULT_TUNING: ConnectionTuning = {
  poolSize: 10,
  statementTimeoutMs: 10_000,
  connectTimeoutMs: 3_000,
};

/**
 * The one builder of DataSource options, used by the application, the migration CLI
 * (ormconfig.ts) and the tests alike.
 */
export function dataSourceOptions(
  database: Database,
  url: string,
  tuning: ConnectionTuning = DEFAULT_TUNING,
  replicaUrls: readonly string[] = [],
): DataSourceOptions {
  return {
    type: 'postgres',
    ...(replicaUrls.length === 0
      ? { url }
      : {
          // Everything stays on the primary unless a read asks for a replica (readFromReplica):
          // TypeORM's own default would send every SELECT outside a transaction to one.
          replication: {
            master: { url },
            slaves: replicaUrls.map((replica) => ({ url: replica })),
            defaultMode: 'master',
          },
        }),
    entities: SCHEMAS[database].entities,
    migrations: SCHEMAS[database].migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    // gen_random_uuid() is built into PostgreSQL 13+: no extension to install, and the
    // application roles need no CREATE privilege.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    applicationName: `exchanger-${database}`,
    poolSize: tuning.poolSize,
    connectTimeoutMS: tuning.connectTimeoutMs,
    extra: {
      // Server-side bounds, so a slow query or a forgotten transaction cannot hold a
      // connection (and a request) for ever.
      statement_timeout: tuning.statementTimeoutMs,
      // Client-side bound too: a stalled server never gets to cancel the statement.
      query_timeout: tuning.statementTimeoutMs + 1_000,
      idle_in_transaction_session_timeout: tuning.statementTimeoutMs * 3,
    },
  };
}
