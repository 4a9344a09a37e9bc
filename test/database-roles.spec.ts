import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { Database } from '../src/common/app-context.js';
import { dataSourceOptions } from '../src/database/data-source-options.js';
import { SCHEMAS } from '../src/schemas.js';
import { EmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { runPendingMigrations } from '../src/database/migrate.js';
import { freePort } from './support/api-process.js';

const PASSWORDS = {
  identity: 'id-secret',
  web: 'web-secret',
  admin: 'admin-secret',
  bot: 'bot-secret',
};

/**
 * The PostgreSQL initialisation that docker-compose runs (docker/postgres/init-databases.sh),
 * applied to a throwaway server: one role per application, least privilege.
 */
describe('database roles of the compose stack', () => {
  let root: string;
  let server: EmbeddedPostgres;
  let port: number;

  const url = (role: keyof typeof PASSWORDS, database: string) =>
    `postgres://exchanger_${role}:${PASSWORDS[role]}@127.0.0.1:${port}/${database}`;

  async function asRole<T>(
    role: keyof typeof PASSWORDS,
    database: string,
    work: (client: pg.Client) => Promise<T>,
  ): Promise<T> {
    const client = new pg.Client({ connectionString: url(role, database) });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.end();
    }
  }

  async function migrate(database: Database, role: keyof typeof PASSWORDS) {
    const source = await new DataSource(
      dataSourceOptions(database, SCHEMAS[database], url(role, `exchanger_${database}`)),
    ).initialize();
    await runPendingMigrations(source, SCHEMAS[database]);
    await source.destroy();
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'exchanger-roles-'));
    await chmod(root, 0o755);
    port = await freePort();
    server = await EmbeddedPostgres.start({ dataDir: join(root, 'pg'), port }, () => undefined);
    const superuserPassword = (await readFile(join(root, 'pg.password'), 'utf8')).trim();
    execFileSync('bash', ['docker/postgres/init-databases.sh'], {
      env: {
        PATH: process.env.PATH,
        PGHOST: '127.0.0.1',
        PGPORT: String(port),
        PGPASSWORD: superuserPassword,
        POSTGRES_USER: 'postgres',
        IDENTITY_DB_PASSWORD: PASSWORDS.identity,
        WEB_DB_PASSWORD: PASSWORDS.web,
        ADMIN_DB_PASSWORD: PASSWORDS.admin,
        BOT_DB_PASSWORD: PASSWORDS.bot,
      },
      stdio: 'ignore',
    });
    // As in the compose stack: each database migrated by the role that owns it.
    await migrate(Database.Identity, 'identity');
    await migrate(Database.Web, 'web');
    await migrate(Database.Admin, 'admin');
  }, 60_000);

  afterAll(async () => {
    await server.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('does not let the web role connect to the admin or bot database', async () => {
    for (const database of ['exchanger_admin', 'exchanger_bot']) {
      await expect(asRole('web', database, (c) => c.query('SELECT 1'))).rejects.toThrow(
        /permission denied for database/,
      );
    }
  });

  it('does not let the admin role change or remove audit rows, though it owns the table', async () => {
    await asRole('admin', 'exchanger_admin', async (client) => {
      await client.query(
        `INSERT INTO audit_logs (action, resource_type) VALUES ('test.action', 'test')`,
      );
      await expect(client.query(`UPDATE audit_logs SET action = 'forged'`)).rejects.toThrow(
        /permission denied/,
      );
      await expect(client.query('DELETE FROM audit_logs')).rejects.toThrow(/permission denied/);
      await expect(client.query('TRUNCATE audit_logs')).rejects.toThrow(/permission denied/);
      const { rowCount } = await client.query(
        `SELECT 1 FROM audit_logs WHERE action = 'test.action'`,
      );
      expect(rowCount).toBe(1);
    });
  });

  it('lets the bot role build its own database and use its inbox and outgoing queue', async () => {
    await migrate(Database.Bot, 'bot');
    await asRole('bot', 'exchanger_bot', async (client) => {
      await client.query(`INSERT INTO telegram_updates (update_id, payload) VALUES (1, '{}')`);
      await client.query(
        `INSERT INTO outgoing_messages (chat_id, method, payload) VALUES (1, 'sendMessage', '{}')`,
      );
      const { rowCount } = await client.query('SELECT 1 FROM telegram_updates');
      expect(rowCount).toBe(1);
    });
  });

  it('lets the admin role read the web data it reports on, add rates and change web settings, nothing more', async () => {
    await asRole('admin', 'exchanger_web', async (client) => {
      await client.query('SELECT count(*) FROM orders');
      await client.query('SELECT count(*) FROM transactions');
      await client.query(
        `INSERT INTO exchange_rates (from_currency, to_currency, rate) VALUES ('AAA', 'BBB', 1)`,
      );
      await client.query(`INSERT INTO outbox (topic, payload) VALUES ('admin.audit', '{}')`);
      await client.query(`DELETE FROM outbox WHERE topic = 'admin.audit'`);
      await client.query(
        `INSERT INTO web_settings (key, value) VALUES ('probe.roles', 'true')
         ON CONFLICT (key) DO UPDATE SET value = 'false'`,
      );
      await expect(client.query('DELETE FROM web_settings')).rejects.toThrow(/permission denied/);
      await expect(client.query(`UPDATE orders SET status = 'completed'`)).rejects.toThrow(
        /permission denied/,
      );
      await expect(client.query('DELETE FROM exchange_rates')).rejects.toThrow(/permission denied/);
      await expect(client.query('SELECT count(*) FROM payments')).rejects.toThrow(
        /permission denied/,
      );
      await expect(client.query('CREATE TABLE stray (id int)')).rejects.toThrow(
        /permission denied/,
      );
    });
  });

  it('does not let the bot role connect to the web database', async () => {
    await expect(asRole('bot', 'exchanger_web', (c) => c.query('SELECT 1'))).rejects.toThrow(
      /permission denied for database/,
    );
  });

  it('lets every application role read and write identity rows', async () => {
    for (const role of ['web', 'admin', 'bot'] as const) {
      await asRole(role, 'exchanger_identity', async (client) => {
        const email = `${role}@roles.test`;
        await client.query(
          `INSERT INTO users (email, password_hash, role) VALUES ($1, 'x', 'user')`,
          [email],
        );
        const { rowCount } = await client.query('SELECT 1 FROM users WHERE email = $1', [email]);
        expect(rowCount).toBe(1);
      });
    }
  });

  it('does not let an application role change the identity schema', async () => {
    await asRole('web', 'exchanger_identity', async (client) => {
      await expect(client.query('CREATE TABLE stray (id int)')).rejects.toThrow(
        /permission denied/,
      );
      await expect(client.query('DROP TABLE users')).rejects.toThrow(/must be owner/);
      await expect(client.query('TRUNCATE security_events')).rejects.toThrow(/permission denied/);
    });
  });
});
