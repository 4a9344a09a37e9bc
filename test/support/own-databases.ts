import pg from 'pg';
import { Database } from '../../src/common/app-context.js';
import { DATABASE_URL_VARIABLE } from '../../src/config/app-config.js';
import { TEST_POSTGRES_URL, testDatabaseNameOf } from './test-env.js';

/**
 * A whole deployment's databases (identity, web, admin, bot) for one test file, cloned from
 * the templates test/setup/global-setup.ts migrated. Every process claims the work its
 * databases hold (outbox messages, report jobs, stored updates, queued messages) and reads
 * the rows that work names from its own databases, so a test application that needs one
 * database of its own (an identity it counts admins in, a Redis its invalidations must
 * reach, a bot) gets all four: sharing only some would let it take the shared ones' work
 * and read the wrong rows (a report of orders from another web database: empty).
 */
export interface OwnDatabases {
  /** DATABASE_*_URL for startTestApp. */
  readonly env: Record<string, string>;
  readonly urls: Readonly<Record<Database, string>>;
  drop(): Promise<void>;
}

async function onServer(work: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: `${TEST_POSTGRES_URL}/postgres` });
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

export async function ownDatabases(label: string): Promise<OwnDatabases> {
  const databases = Object.values(Database).map((database) => ({
    database,
    name: testDatabaseNameOf(`${database}_${label}`),
    template: testDatabaseNameOf(`template_${database}`),
  }));
  const drop = () =>
    onServer(async (client) => {
      for (const { name } of databases)
        await client.query(`DROP DATABASE IF EXISTS ${client.escapeIdentifier(name)} WITH (FORCE)`);
    });
  await drop();
  await onServer(async (client) => {
    for (const { name, template } of databases)
      await client.query(
        `CREATE DATABASE ${client.escapeIdentifier(name)} TEMPLATE ${client.escapeIdentifier(template)}`,
      );
  });
  const urls = Object.fromEntries(
    databases.map(({ database, name }) => [database, `${TEST_POSTGRES_URL}/${name}`]),
  ) as Record<Database, string>;
  return {
    env: Object.fromEntries(
      databases.map(({ database }) => [DATABASE_URL_VARIABLE[database], urls[database]]),
    ),
    urls,
    drop,
  };
}
