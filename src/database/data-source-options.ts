import type { DataSource, DataSourceOptions } from 'typeorm';

/** What one database holds: its entity classes and the migrations that build them, oldest first. */
export interface Schema {
  readonly entities: Function[];
  readonly migrations: Function[];
  /**
   * Migrations of a package that keeps its own record of them (the identity package's), run
   * before the database's own; returns the names of those it ran.
   */
  readonly packageMigrations?: (dataSource: DataSource) => Promise<string[]>;
}

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
  name: string,
  schema: Schema,
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
    entities: schema.entities,
    migrations: schema.migrations,
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    // gen_random_uuid() is built into PostgreSQL 13+: no extension to install, and the
    // application roles need no CREATE privilege.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    applicationName: `exchanger-${name}`,
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
