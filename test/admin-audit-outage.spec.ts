import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pg from 'pg';
import { AUDIT_TOPIC } from '../src/admin/audit/audit-entry.js';
import { Database } from '../src/common/app-context.js';
import { Permission } from '../src/common/permissions.js';
import { database, http, type Staff, staff } from './support/admin.js';
import { eventually } from './support/eventually.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { startTestApp } from './support/test-app.js';
import { type OwnDatabases, ownDatabases } from './support/own-databases.js';
import { registerUser } from './support/users.js';

/**
 * The admin database is cut between a change (in identity) and its audit row: the change
 * is made, its audit message waits in the identity outbox, and the row arrives once the
 * database is back, exactly once, also when the message is delivered again. The databases
 * are this file's own: the relays of other test applications would otherwise deliver its
 * outbox (as any admin process may).
 */
describe('the audit trail while the admin database is away', () => {
  let databases: OwnDatabases;
  let app: NestFastifyApplication;
  let proxy: TcpProxy;
  let admin: Staff;
  let direct: pg.Client;

  beforeAll(async () => {
    databases = await ownDatabases('audit_outage');
    const adminUrl = databases.urls[Database.Admin];
    proxy = await TcpProxy.start(adminUrl);
    app = await startTestApp({
      ...databases.env,
      DATABASE_ADMIN_URL: proxy.url(adminUrl),
      DATABASE_CONNECT_TIMEOUT_MS: '500',
    });
    admin = await staff(app);
    direct = new pg.Client({ connectionString: databases.urls[Database.Admin] });
    await direct.connect();
  });
  afterAll(async () => {
    proxy.restore();
    await app.close();
    await proxy.stop();
    await direct.end();
    await databases.drop();
  });

  async function rowsFor(
    resourceId: string,
  ): Promise<Array<{ action: string; message_id: string }>> {
    const result = await direct.query<{ action: string; message_id: string }>(
      'SELECT action, message_id FROM audit_logs WHERE resource_id = $1',
      [resourceId],
    );
    return result.rows;
  }

  it('makes the change while the admin database is cut, and delivers its audit row once it is back, exactly once', async () => {
    const target = await registerUser(app, 'outage');
    proxy.cut();
    await http(app)
      .put(`/admin/users/${target.id}/permissions/web/${Permission.AnalyticsRead}`)
      .set('Cookie', admin.cookie)
      .expect(204);
    const me = await http(app)
      .get(`/admin/users/${target.id}`)
      .set('Cookie', admin.cookie)
      .expect(200);
    expect(me.body.permissions.web).toContain(Permission.AnalyticsRead);

    // The message waits in the identity outbox: the relay has tried it and failed, and no
    // row can exist yet.
    const identity = database(app, Database.Identity);
    let waiting: Array<{ id: string; message_id: string; payload: object; attempts: number }> = [];
    await eventually(async () => {
      waiting = await identity.query(
        `SELECT id, message_id, payload, attempts FROM outbox
         WHERE topic = $1 AND payload ->> 'resourceId' = $2`,
        [AUDIT_TOPIC, target.id],
      );
      return (waiting[0]?.attempts ?? 0) > 0;
    }, 10_000);
    expect(waiting).toHaveLength(1);
    expect(await rowsFor(target.id)).toEqual([]);

    proxy.restore();
    // Failed deliveries back off (up to a minute): the row arrives at the first try after.
    await eventually(async () => (await rowsFor(target.id)).length > 0, 70_000, 200);
    const rows = await rowsFor(target.id);
    expect(rows).toEqual([
      { action: 'user.permission.granted', message_id: waiting[0]?.message_id },
    ]);

    // Delivered again (a relay that died after the insert, before deleting the message):
    // still one row.
    await identity.query(
      `INSERT INTO outbox (id, message_id, topic, payload) OVERRIDING SYSTEM VALUE
       VALUES ($1, $2, $3, $4)`,
      [waiting[0]?.id, waiting[0]?.message_id, AUDIT_TOPIC, waiting[0]?.payload],
    );
    await eventually(async () => {
      const left: unknown[] = await identity.query('SELECT 1 FROM outbox WHERE id = $1', [
        waiting[0]?.id,
      ]);
      return left.length === 0;
    }, 10_000);
    expect(await rowsFor(target.id)).toHaveLength(1);
  }, 120_000);

  it('keeps the audit of new changes when the identity database numbers its messages again (a restore)', async () => {
    const target = await registerUser(app, 'renumbered');
    const permission = `/admin/users/${target.id}/permissions/web/${Permission.AnalyticsRead}`;
    await http(app).put(permission).set('Cookie', admin.cookie).expect(204);
    await eventually(async () => (await rowsFor(target.id)).length === 1, 10_000);
    // As after a restore to an earlier point: the next message gets a number already used.
    const identity = database(app, Database.Identity);
    await identity.query('ALTER TABLE outbox ALTER COLUMN id RESTART WITH 1');
    await http(app).delete(permission).set('Cookie', admin.cookie).expect(204);
    await eventually(async () => (await rowsFor(target.id)).length === 2, 10_000);
  }, 30_000);
});
