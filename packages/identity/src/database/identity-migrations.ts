import { DataSource, type DataSourceOptions } from 'typeorm';
import { withAdvisoryLock } from './advisory-lock.js';
import { IDENTITY_MIGRATIONS } from './migrations/identity/index.js';

/** Where the package records which of its migrations ran: its own table, beside the host's. */
export const IDENTITY_MIGRATIONS_TABLE = 'identity_migrations';

export interface IdentityMigrationOptions {
  /**
   * The PostgreSQL schema the identity tables live in (created if missing). The host's
   * DataSource must then find them there: give it the same `schema` and a `search_path`
   * that starts with it (`extra: { options: '-c search_path=<schema>' }`). Default: the
   * connection's own (usually `public`).
   */
  readonly schema?: string;
  /**
   * A migrations table that recorded the package's migrations before they had a table of
   * their own (the host's, e.g. `migrations`): their rows move to `identity_migrations` once,
   * so none runs twice. Rows of the host's own migrations stay where they are.
   */
  readonly adoptFrom?: string;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** A schema name goes into SQL as an identifier: only plain lower-case ones are taken. */
function checkSchemaName(schema: string | undefined): void {
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new Error(`schema ${schema}: a lower-case identifier (a-z, 0-9, _)`);
  }
}

/**
 * Brings the identity tables up to date: runs the package's pending migrations on a short-lived
 * connection to the host's database (two connections at most), records them in
 * `identity_migrations`, and returns the names of those it ran. Processes starting together
 * take turns (an advisory lock): one migrates, the others then find nothing to do.
 */
export async function runIdentityMigrations(
  host: DataSource,
  options: IdentityMigrationOptions = {},
): Promise<string[]> {
  const { schema, adoptFrom } = options;
  checkSchemaName(schema);
  const migrator = await new DataSource(migratorOptions(host.options, schema)).initialize();
  try {
    return await withAdvisoryLock(migrator, 'exchanger-identity:migrations', async () => {
      if (schema !== undefined) await migrator.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      if (adoptFrom !== undefined) await adopt(migrator, adoptFrom);
      const ran = await migrator.runMigrations({ transaction: 'each' });
      return ran.map((migration) => migration.name);
    });
  } finally {
    await migrator.destroy();
  }
}

/** The host's connection, holding nothing but the package's migrations. */
function migratorOptions(host: DataSourceOptions, schema: string | undefined): DataSourceOptions {
  if (host.type !== 'postgres') throw new Error('The identity tables live in PostgreSQL');
  const postgres = host;
  const primary = postgres.replication?.master ?? postgres;
  // The host's connection settings, less its time limits: a migration may take long.
  const {
    statement_timeout: _statementTimeout,
    query_timeout: _queryTimeout,
    options: hostOptions,
    ...hostExtra
  } = (postgres.extra ?? {}) as Record<string, unknown>;
  const startup = [hostOptions, schema === undefined ? undefined : `-c search_path=${schema}`]
    .filter((part) => typeof part === 'string' && part !== '')
    .join(' ');
  const extra = { ...hostExtra, max: 2, ...(startup !== '' && { options: startup }) };
  return {
    type: 'postgres',
    url: primary.url,
    host: primary.host,
    port: primary.port,
    username: primary.username,
    password: primary.password,
    database: primary.database,
    ssl: primary.ssl,
    ...(schema !== undefined && { schema }),
    applicationName: 'identity-migrations',
    extra,
    entities: [],
    migrations: IDENTITY_MIGRATIONS,
    migrationsTableName: IDENTITY_MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    migrationsRun: false,
    synchronize: false,
    installExtensions: false,
    logging: false,
  };
}

/**
 * Moves the rows of the package's migrations from `legacy` to `identity_migrations`, when
 * that table does not exist yet: in one transaction, so a crash leaves one or the other.
 */
async function adopt(migrator: DataSource, legacy: string): Promise<void> {
  const [state] = await migrator.query<Array<{ own: string | null; legacy: string | null }>>(
    'SELECT to_regclass($1)::text AS own, to_regclass($2)::text AS legacy',
    [IDENTITY_MIGRATIONS_TABLE, legacy],
  );
  if (state?.own != null || state?.legacy == null) return;
  const names = IDENTITY_MIGRATIONS.map((migration) => migration.name);
  await migrator.transaction(async (manager) => {
    await manager.query(
      `CREATE TABLE "${IDENTITY_MIGRATIONS_TABLE}" ("id" SERIAL NOT NULL, "timestamp" bigint NOT NULL,
         "name" character varying NOT NULL, CONSTRAINT "PK_identity_migrations" PRIMARY KEY ("id"))`,
    );
    await manager.query(
      `INSERT INTO "${IDENTITY_MIGRATIONS_TABLE}" ("timestamp", "name")
       SELECT "timestamp", "name" FROM ${quotedName(legacy)} WHERE "name" = ANY($1) ORDER BY "id"`,
      [names],
    );
    await manager.query(`DELETE FROM ${quotedName(legacy)} WHERE "name" = ANY($1)`, [names]);
  });
}

/** A table name, possibly schema-qualified, as an identifier SQL can take. */
function quotedName(name: string): string {
  return name
    .split('.')
    .map((part) => `"${part.replaceAll('"', '""')}"`)
    .join('.');
}

/**
 * Stops the start unless every migration of the package is recorded: a host that forgot to
 * run them learns it here, in one line, not from a failing query later.
 */
export async function checkIdentityMigrations(host: DataSource, schema?: string): Promise<void> {
  checkSchemaName(schema);
  const table =
    schema === undefined
      ? `"${IDENTITY_MIGRATIONS_TABLE}"`
      : `"${schema}"."${IDENTITY_MIGRATIONS_TABLE}"`;
  const [exists] = await host.query<Array<{ found: string | null }>>(
    'SELECT to_regclass($1)::text AS found',
    [table],
  );
  const recorded =
    exists?.found == null
      ? []
      : (await host.query<Array<{ name: string }>>(`SELECT name FROM ${table}`)).map(
          (row) => row.name,
        );
  const missing = IDENTITY_MIGRATIONS.map((migration) => migration.name).filter(
    (name) => !recorded.includes(name),
  );
  if (missing.length > 0) {
    throw new Error(
      `The identity tables are not up to date (${missing.length} migrations not run, the first ${missing[0]}): start IdentityModule with migrations: 'run', or call runIdentityMigrations(dataSource) before it starts`,
    );
  }
}
