import { User } from '@exchanger/identity';
import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource, Repository } from 'typeorm';
import { AdminSetting } from '../src/admin/entities/index.js';
import { BotState } from '../src/bot/entities/index.js';
import { Database } from '../src/common/app-context.js';
import { AnalyticsEvent } from '../src/web/entities/index.js';
import { startTestApp } from './support/test-app.js';
import { testDatabaseUrl } from './support/test-env.js';

async function inDatabase<T>(database: Database, work: (client: pg.Client) => Promise<T>) {
  const client = new pg.Client({ connectionString: testDatabaseUrl(database) });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Which databases hold `table`, and how many rows match in each. */
async function whereIs(table: string, where: string, value: string) {
  const found: Partial<Record<Database, number>> = {};
  for (const database of Object.values(Database)) {
    await inDatabase(database, async (client) => {
      const { rows } = await client.query<{ exists: boolean }>(
        'SELECT to_regclass($1) IS NOT NULL AS exists',
        [`public.${table}`],
      );
      if (rows[0]?.exists !== true) return;
      const count = await client.query(`SELECT 1 FROM "${table}" WHERE "${where}" = $1`, [value]);
      found[database] = count.rowCount ?? 0;
    });
  }
  return found;
}

describe('each module on its own database', () => {
  let app: NestFastifyApplication;
  const marker = `probe-${randomUUID()}`;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await inDatabase(Database.Identity, (c) =>
      c.query('DELETE FROM users WHERE email = $1', [`${marker}@example.test`]),
    );
    await inDatabase(Database.Web, (c) =>
      c.query('DELETE FROM analytics_events WHERE event_type = $1', [marker]),
    );
    await inDatabase(Database.Admin, (c) =>
      c.query('DELETE FROM admin_settings WHERE key = $1', [marker]),
    );
    await inDatabase(Database.Bot, (c) =>
      c.query('DELETE FROM bot_state WHERE key = $1', [marker]),
    );
    await app.close();
  });

  function repository<T extends object>(entity: new () => T, database: Database): Repository<T> {
    return app.get<DataSource>(getDataSourceToken(database)).getRepository(entity);
  }

  it('writes identity rows into the identity database only', async () => {
    await repository(User, Database.Identity).save({
      email: `${marker}@example.test`,
      passwordHash: 'not-a-real-hash',
      role: 'user',
    });
    expect(await whereIs('users', 'email', `${marker}@example.test`)).toEqual({ identity: 1 });
  });

  it('writes web rows into the web database only', async () => {
    await repository(AnalyticsEvent, Database.Web).save({ eventType: marker, eventData: {} });
    expect(await whereIs('analytics_events', 'event_type', marker)).toEqual({ web: 1 });
  });

  it('writes admin rows into the admin database only', async () => {
    await repository(AdminSetting, Database.Admin).save({ key: marker, value: { on: true } });
    expect(await whereIs('admin_settings', 'key', marker)).toEqual({ admin: 1 });
  });

  it('writes bot rows into the bot database only', async () => {
    await repository(BotState, Database.Bot).save({ key: marker, value: { step: 1 } });
    expect(await whereIs('bot_state', 'key', marker)).toEqual({ bot: 1 });
  });

  it('keeps emails unique whatever their case', async () => {
    const users = repository(User, Database.Identity);
    await expect(
      users.save({
        email: `${marker.toUpperCase()}@EXAMPLE.TEST`,
        passwordHash: 'x',
        role: 'user',
      }),
    ).rejects.toThrow(/UQ_users_email_lower/);
  });

  it('refuses to change or delete a recorded security event', async () => {
    await inDatabase(Database.Identity, async (client) => {
      const { rows } = await client.query<{ id: string }>(
        `INSERT INTO security_events (event_type) VALUES ('probe') RETURNING id`,
      );
      const id = rows[0]?.id;
      await expect(client.query('DELETE FROM security_events WHERE id = $1', [id])).rejects.toThrow(
        /append-only/,
      );
      await expect(
        client.query(`UPDATE security_events SET event_type = 'x' WHERE id = $1`, [id]),
      ).rejects.toThrow(/append-only/);
    });
  });
});
