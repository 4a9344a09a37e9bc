import {
  IDENTITY_MIGRATIONS,
  IDENTITY_MIGRATIONS_TABLE,
  IDENTITY_STORE,
  IdentityModule,
  runIdentityMigrations,
  SessionService,
  UsersService,
} from '@exchanger/identity';
import { Test } from '@nestjs/testing';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { hash } from '@node-rs/argon2';
import pg from 'pg';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { Database } from '../src/common/app-context.js';
import { IDENTITY_PRODUCT_MIGRATIONS } from '../src/database/migrations/identity/index.js';
import { ownDatabases, type OwnDatabases } from './support/own-databases.js';
import { TEST_POSTGRES_URL } from './support/test-env.js';
import { startTestApp } from './support/test-app.js';
import { PASSWORD } from './support/users.js';

/** The migration this layout change added to the package: a database of before has not run it. */
const ADDED_SINCE = 'HostRoles1796700000000';

const nameOf = (migration: Function) => migration.name;

/** Replaces the identity database of `databases` with an empty one; returns its URL. */
async function emptyIdentityDatabase(databases: OwnDatabases): Promise<string> {
  const url = databases.urls[Database.Identity];
  const name = new URL(url).pathname.slice(1);
  const server = new pg.Client({ connectionString: `${TEST_POSTGRES_URL}/postgres` });
  await server.connect();
  try {
    await server.query(`DROP DATABASE ${server.escapeIdentifier(name)} WITH (FORCE)`);
    await server.query(`CREATE DATABASE ${server.escapeIdentifier(name)}`);
  } finally {
    await server.end();
  }
  return url;
}
const timestampOf = (migration: Function) => Number(/\d{13}$/.exec(migration.name)?.[0]);

/**
 * An identity database as deployments have it before the package kept its own record: every
 * migration, the package's and the product's, in one `migrations` table. Then the product
 * starts on it as it is now.
 */
describe('upgrading an identity database migrated before the package had its own table', () => {
  let databases: OwnDatabases;
  let before: DataSource;
  let app: NestFastifyApplication | undefined;
  const userId = '6f1d8a5e-2c1b-4c53-9a57-0d7c1a2b3c4d';
  const email = 'upgraded@example.test';

  beforeAll(async () => {
    databases = await ownDatabases('upgrade');
    const url = await emptyIdentityDatabase(databases);
    before = await new DataSource({
      type: 'postgres',
      url,
      migrations: [
        ...IDENTITY_MIGRATIONS.filter((migration) => nameOf(migration) !== ADDED_SINCE),
        ...IDENTITY_PRODUCT_MIGRATIONS,
      ].sort((a, b) => timestampOf(a) - timestampOf(b)),
      migrationsTableName: 'migrations',
    }).initialize();
    await before.runMigrations({ transaction: 'each' });
    const passwordHash = await hash(PASSWORD, {
      algorithm: 2,
      memoryCost: 19_456,
      timeCost: 2,
      parallelism: 1,
    });
    await before.query(
      `INSERT INTO users (id, email, password_hash, role) VALUES ($1, $2, $3, 'user')`,
      [userId, email, passwordHash],
    );
    await before.query(
      `INSERT INTO user_permissions (user_id, application_context, permission)
       VALUES ($1, 'web', 'orders:read'), ($1, 'web', 'orders:write')`,
      [userId],
    );
    await before.query(
      `INSERT INTO security_events (event_type, user_id, application_context) VALUES ('user.registered', $1, 'web')`,
      [userId],
    );
    await before.query(
      `INSERT INTO outbox (topic, payload) VALUES ('upgrade.kept', '{"kept": true}')`,
    );
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    await before.destroy();
    await databases.drop();
  });

  it('moves the package’s record to identity_migrations, runs only what is new, keeps every row, and signs the old user in', async () => {
    app = await startTestApp({ ...databases.env });
    const identity = app.get<DataSource>(getDataSourceToken(Database.Identity));

    const own: Array<{ name: string }> = await identity.query(
      `SELECT name FROM ${IDENTITY_MIGRATIONS_TABLE} ORDER BY id`,
    );
    expect(own.map((row) => row.name)).toEqual(IDENTITY_MIGRATIONS.map(nameOf));
    const product: Array<{ name: string }> = await identity.query(
      'SELECT name FROM migrations ORDER BY id',
    );
    expect(product.map((row) => row.name)).toEqual(IDENTITY_PRODUCT_MIGRATIONS.map(nameOf));
    // The new migration ran: the role column names no roles any more.
    const checks: unknown[] = await identity.query(
      `SELECT 1 FROM pg_constraint WHERE conname = 'CHK_users_role'`,
    );
    expect(checks).toEqual([]);

    const rows: Array<{ users: number; permissions: number; events: number; outbox: number }> =
      await identity.query(
        `SELECT (SELECT count(*)::int FROM users WHERE id = $1) AS users,
                (SELECT count(*)::int FROM user_permissions WHERE user_id = $1) AS permissions,
                (SELECT count(*)::int FROM security_events WHERE user_id = $1) AS events,
                (SELECT count(*)::int FROM outbox WHERE payload = '{"kept": true}') AS outbox`,
        [userId],
      );
    expect(rows[0]).toEqual({ users: 1, permissions: 2, events: 1, outbox: 1 });

    const login = await request(app.getHttpServer())
      .post('/web/auth/login')
      .send({ email, password: PASSWORD })
      .expect(200);
    expect(login.body.user).toEqual(expect.objectContaining({ id: userId, email }));

    // Nothing is left to run, for the package or for the product.
    expect(await runIdentityMigrations(identity, { adoptFrom: 'migrations' })).toEqual([]);
    expect(await identity.showMigrations()).toBe(false);
  });
});

describe('migrating an empty identity database from two processes at once', () => {
  let databases: OwnDatabases;

  beforeAll(async () => {
    databases = await ownDatabases('migrate_race');
  });
  afterAll(() => databases.drop());

  it('migrates once and lets the other wait, though one migration builds an index concurrently', async () => {
    const url = await emptyIdentityDatabase(databases);
    const hosts = await Promise.all(
      [1, 2].map(() => new DataSource({ type: 'postgres', url }).initialize()),
    );
    try {
      // A waiter blocked inside pg_advisory_lock would be an open transaction, which CREATE
      // INDEX CONCURRENTLY in the other waits for: both would hang.
      const ran = await Promise.all(hosts.map((host) => runIdentityMigrations(host)));
      expect(ran.map((names) => names.length).sort()).toEqual([0, IDENTITY_MIGRATIONS.length]);
    } finally {
      await Promise.all(hosts.map((host) => host.destroy()));
    }
  }, 30_000);
});

describe('a host’s identity tables at start', () => {
  let databases: OwnDatabases;
  const contexts = {
    notes: {
      lifetime: { idleMs: 60_000, absoluteMs: 3_600_000 },
      cookie: { name: 'notes_session', path: '/notes', sameSite: 'lax' as const },
    },
  };

  beforeAll(async () => {
    databases = await ownDatabases('host_tables');
  });
  afterAll(() => databases.drop());

  it('stops the start of a host that did not migrate, saying how to', async () => {
    const url = await emptyIdentityDatabase(databases);
    const starting = Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({ type: 'postgres', url, ...IDENTITY_STORE }),
        IdentityModule.forRoot({ contexts, undeclaredRoutes: 'public' }),
      ],
    }).compile();
    await expect(starting).rejects.toThrow(
      `The identity tables are not up to date (${IDENTITY_MIGRATIONS.length} migrations not run, the first CreateIdentitySchema1795319160161): start IdentityModule with migrations: 'run', or call runIdentityMigrations(dataSource) before it starts`,
    );
  });

  it('builds them in the schema the host chose, records them there, and works from it', async () => {
    const url = await emptyIdentityDatabase(databases);
    const module = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRoot({
          type: 'postgres',
          url,
          ...IDENTITY_STORE,
          schema: 'auth',
          extra: { options: '-c search_path=auth' },
        }),
        IdentityModule.forRoot({
          contexts,
          undeclaredRoutes: 'public',
          migrations: 'run',
          schema: 'auth',
        }),
      ],
    }).compile();
    const app = await module.init();
    try {
      const user = await app.get(UsersService).register('schema@example.test', PASSWORD);
      const session = await app
        .get(SessionService)
        .create('notes', user.id, { ipAddress: null, userAgent: null });
      expect(await app.get(SessionService).validate('notes', session.token)).toBeDefined();
      const plain = new pg.Client({ connectionString: url });
      await plain.connect();
      try {
        const tables = await plain.query<{ schema: string; table: string }>(
          `SELECT table_schema AS schema, table_name AS table FROM information_schema.tables
           WHERE table_name IN ('users', 'sessions', 'identity_migrations') ORDER BY 2`,
        );
        expect(tables.rows).toEqual([
          { schema: 'auth', table: 'identity_migrations' },
          { schema: 'auth', table: 'sessions' },
          { schema: 'auth', table: 'users' },
        ]);
        const users = await plain.query('SELECT email FROM auth.users');
        expect(users.rows).toEqual([{ email: 'schema@example.test' }]);
      } finally {
        await plain.end();
      }
    } finally {
      await app.close();
    }
  });
});
