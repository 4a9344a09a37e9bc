import { execFileSync } from 'node:child_process';
import { createClient } from '@redis/client';
import pg from 'pg';

/*
 * Runs once per test run, in Node's own module loader (Jest does not map the imports of a
 * global setup), so it uses only packages and the built application: `npm test` builds
 * first. Template databases are dropped, created and migrated from scratch by the real
 * `migration:run` command, so every run proves the migrations build the schema; every test
 * database is then a clone of its template (a file copy, no migration per database or per
 * file). The test Redis database is emptied, so counters (login throttling) start from zero.
 * Kept in step with test/support/test-env.ts and test/support/own-databases.ts.
 */
const POSTGRES = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const DATABASES = ['identity', 'web', 'admin', 'bot'];
/** Two runs can share one server: TEST_DATABASE_SUFFIX=_b gives exchanger_identity_b_test, … */
const SUFFIX = process.env.TEST_DATABASE_SUFFIX ?? '';
if (!/^[a-z0-9_]*$/.test(SUFFIX))
  throw new Error('TEST_DATABASE_SUFFIX: lower-case letters, digits, _');
const nameOf = (name: string) => `exchanger_${name}${SUFFIX}_test`;
/**
 * Migrated once and never connected to afterwards, since PostgreSQL copies only a template
 * nobody is connected to: the shared test databases and the deployments a test file runs
 * on its own (`ownDatabases`) are clones.
 */
const templateOf = (database: string) => nameOf(`template_${database}`);
/** Stands in for a read replica of the web database: same schema, its own rows. */
const WEB_REPLICA = nameOf('web_replica');
/** An empty database for a host app that migrates it itself (test/identity-options.spec.ts). */
const HOST_APP = nameOf('host_app');
/** A Redis database reserved for the tests (see test/support/test-env.ts): emptied on every run. */
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/1';

export default async function globalSetup(): Promise<void> {
  const admin = new pg.Client({ connectionString: `${POSTGRES}/postgres` });
  await admin.connect();
  const quoted = (name: string) => admin.escapeIdentifier(name);
  const clones: Array<[string, string]> = [
    ...DATABASES.map((database): [string, string] => [nameOf(database), templateOf(database)]),
    [WEB_REPLICA, templateOf('web')],
  ];
  try {
    for (const name of [...clones.map(([clone]) => clone), HOST_APP, ...DATABASES.map(templateOf)])
      await admin.query(`DROP DATABASE IF EXISTS ${quoted(name)} WITH (FORCE)`);
    for (const name of [HOST_APP, ...DATABASES.map(templateOf)])
      await admin.query(`CREATE DATABASE ${quoted(name)}`);
    execFileSync(process.execPath, ['dist/migrate.cli.js'], {
      env: {
        ...process.env,
        ...Object.fromEntries(
          DATABASES.map((database) => [
            `DATABASE_${database.toUpperCase()}_URL`,
            `${POSTGRES}/${templateOf(database)}`,
          ]),
        ),
        NODE_ENV: 'test',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (const [clone, template] of clones)
      await admin.query(`CREATE DATABASE ${quoted(clone)} TEMPLATE ${quoted(template)}`);
  } finally {
    await admin.end();
  }
  const redis = createClient({ url: REDIS });
  await redis.connect();
  await redis.flushDb();
  await redis.close();
}
