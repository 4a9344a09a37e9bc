import { execFileSync } from 'node:child_process';
import { createClient } from '@redis/client';
import pg from 'pg';

/*
 * Runs once per test run, in Node's own module loader (Jest does not map the imports of a
 * global setup), so it uses only packages and the built application: `npm test` builds
 * first. Each test database is dropped, created and migrated from scratch by the real
 * `migration:run` command, so every run proves the migrations build the schema; the
 * test Redis database is emptied, so counters (login throttling) start from zero.
 * Kept in step with test/support/test-env.ts.
 */
const POSTGRES = process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const DATABASES = ['identity', 'web', 'admin', 'bot'];
/** Two runs can share one server: TEST_DATABASE_SUFFIX=_b gives exchanger_identity_b_test, … */
const SUFFIX = process.env.TEST_DATABASE_SUFFIX ?? '';
if (!/^[a-z0-9_]*$/.test(SUFFIX))
  throw new Error('TEST_DATABASE_SUFFIX: lower-case letters, digits, _');
const nameOf = (name: string) => `exchanger_${name}${SUFFIX}_test`;
/** Stands in for a read replica of the web database: same schema, its own rows. */
const WEB_REPLICA = nameOf('web_replica');
/**
 * Identity for a test with a Redis of its own (Sentinel): the outbox of cache invalidations
 * lives in the identity database, and every process draining it must share one Redis.
 */
const IDENTITY_OWN_REDIS = nameOf('identity_own_redis');
/** The same, for the test on Redis Cluster. */
const IDENTITY_CLUSTER = nameOf('identity_cluster');
/** The example host app's own database (examples/host-app), which it migrates itself. */
const HOST_APP = nameOf('host_app');
/** A Redis database reserved for the tests (see test/support/test-env.ts): emptied on every run. */
const REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/1';

export default async function globalSetup(): Promise<void> {
  const admin = new pg.Client({ connectionString: `${POSTGRES}/postgres` });
  await admin.connect();
  try {
    const names = [
      ...DATABASES.map(nameOf),
      WEB_REPLICA,
      IDENTITY_OWN_REDIS,
      IDENTITY_CLUSTER,
      HOST_APP,
    ];
    for (const database of names) {
      const name = admin.escapeIdentifier(database);
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${name}`);
    }
  } finally {
    await admin.end();
  }
  const urls = Object.fromEntries(
    DATABASES.map((database) => [
      `DATABASE_${database.toUpperCase()}_URL`,
      `${POSTGRES}/${nameOf(database)}`,
    ]),
  );
  const redis = createClient({ url: REDIS });
  await redis.connect();
  await redis.flushDb();
  await redis.close();
  execFileSync(process.execPath, ['dist/migrate.cli.js'], {
    env: { ...process.env, ...urls, NODE_ENV: 'test' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  execFileSync(process.execPath, ['dist/migrate.cli.js'], {
    env: {
      ...process.env,
      ...urls,
      DATABASE_IDENTITY_URL: `${POSTGRES}/${IDENTITY_OWN_REDIS}`,
      DATABASE_WEB_URL: `${POSTGRES}/${WEB_REPLICA}`,
      APP_CONTEXTS: 'web',
      NODE_ENV: 'test',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  execFileSync(process.execPath, ['dist/migrate.cli.js'], {
    env: {
      ...process.env,
      ...urls,
      DATABASE_IDENTITY_URL: `${POSTGRES}/${IDENTITY_CLUSTER}`,
      DATABASE_WEB_URL: `${POSTGRES}/${WEB_REPLICA}`,
      APP_CONTEXTS: 'web',
      NODE_ENV: 'test',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
