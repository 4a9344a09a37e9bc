import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database } from '../../src/common/app-context.js';
import { DATABASE_URL_VARIABLE } from '../../src/config/app-config.js';

/** Where the test databases live; override to point the suite at another server. */
export const TEST_POSTGRES_URL =
  process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/1';
export const TEST_PROVIDER_SECRET = 'test-provider-secret-0123456789-abcdef';
/**
 * Lets two test runs share one PostgreSQL (each with its own TEST_REDIS_URL database):
 * `TEST_DATABASE_SUFFIX=_b` names the databases `exchanger_identity_b_test`, …
 * Kept in step with test/setup/global-setup.ts.
 */
const SUFFIX = process.env.TEST_DATABASE_SUFFIX ?? '';

/** `exchanger_<name><suffix>_test`: every database the suite creates is named here. */
export function testDatabaseNameOf(name: string): string {
  return `exchanger_${name}${SUFFIX}_test`;
}

export function testDatabaseName(database: Database): string {
  return testDatabaseNameOf(database);
}

export function testDatabaseUrl(database: Database): string {
  return `${TEST_POSTGRES_URL}/${testDatabaseName(database)}`;
}

/** A second web database standing in for a read replica (test/setup/global-setup.ts makes it). */
export const TEST_WEB_REPLICA_URL = `${TEST_POSTGRES_URL}/${testDatabaseNameOf('web_replica')}`;

/** An empty database for a host app that migrates it itself (see test/setup/global-setup.ts). */
export const TEST_HOST_APP_URL = `${TEST_POSTGRES_URL}/${testDatabaseNameOf('host_app')}`;

/** The suite only ever touches databases whose name ends in _test (a URL that does not parse reaches none). */
export function assertTestDatabase(url: string): void {
  if (!URL.canParse(url)) return;
  const name = new URL(url).pathname.slice(1);
  if (!name.endsWith('_test')) {
    throw new Error(`Refusing to run tests against "${name}": test databases end in _test`);
  }
}

/** The environment of a test application: the machine's PostgreSQL and Redis, quiet logs. */
export function testEnv(overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    REDIS_URL: TEST_REDIS_URL,
    PAYMENT_PROVIDER_SECRET: TEST_PROVIDER_SECRET,
    // Every test registers from 127.0.0.1; the registration throttle has a test of its own.
    REGISTRATION_IP_MAX: '1000000',
    ACCOUNT_MAIL_IP_MAX: '1000000',
    // Without an SMTP server of the test's own, mail goes to files, out of the checkout.
    MAIL_DIRECTORY: join(tmpdir(), 'exchanger-test-mail'),
    ...Object.fromEntries(
      Object.values(Database).map((database) => [
        DATABASE_URL_VARIABLE[database],
        testDatabaseUrl(database),
      ]),
    ),
    ...overrides,
  };
  for (const database of Object.values(Database)) {
    const url = env[DATABASE_URL_VARIABLE[database]];
    if (url !== undefined && url !== '') assertTestDatabase(url);
  }
  return env;
}
