import type { Response } from 'supertest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppContext, Database } from '../src/common/app-context.js';
import { randomUUID } from 'node:crypto';
import { AUDIT_TOPIC } from '../src/admin/audit/audit-entry.js';
import { Permission } from '../src/common/permissions.js';
import { WebOutbox } from '../src/web/index.js';
import { auditRows, database, http, type Staff, staff, staffWith } from './support/admin.js';
import { startTestApp } from './support/test-app.js';
import { eventually } from './support/eventually.js';
import { cookieFor, PASSWORD, registerUser, sessionCookieOf } from './support/users.js';

describe('the audit trail', () => {
  let app: NestFastifyApplication;
  let admin: Staff;

  beforeAll(async () => {
    app = await startTestApp();
    admin = await staff(app);
  });
  afterAll(() => app.close());

  it('leaves exactly one audit row per staff action, with actor, resource, values, address, agent, the server’s request id and the client’s beside it', async () => {
    const target = await registerUser(app, 'audited');
    const agent = 'audit-test-agent';
    /** The server's own ids of the requests made, in order. */
    const served: string[] = [];
    const act = async (
      call: ReturnType<ReturnType<typeof http>['put']>,
      status: number,
      requestId: string,
    ) => {
      const response = await call
        .set('Cookie', admin.cookie)
        .set('User-Agent', agent)
        .set('X-Request-Id', requestId)
        .expect(status);
      const own = response.headers['x-request-id'] as string;
      expect(own).toMatch(/^[0-9a-f-]{36}$/);
      served.push(own);
    };
    const base = `audit-${Date.now()}`;
    await act(
      http(app).put(`/admin/users/${target.id}/permissions/web/${Permission.AnalyticsRead}`),
      204,
      `${base}-1`,
    );
    await act(
      http(app).delete(`/admin/users/${target.id}/permissions/web/${Permission.AnalyticsRead}`),
      204,
      `${base}-2`,
    );
    await act(
      http(app).put(`/admin/users/${target.id}/role`).send({ role: 'admin' }),
      204,
      `${base}-3`,
    );
    await act(
      http(app).patch(`/admin/users/${target.id}`).send({ emailVerified: true }),
      204,
      `${base}-4`,
    );
    await act(http(app).delete(`/admin/users/${target.id}/sessions`), 204, `${base}-5`);
    await act(http(app).delete(`/admin/users/${target.id}`), 204, `${base}-6`);
    // A refused action changes nothing and leaves no row.
    await act(
      http(app).delete(`/admin/users/${target.id}/permissions/web/${Permission.OrdersRead}`),
      404,
      `${base}-7`,
    );

    const rows = await auditRows(app, { resourceId: target.id });
    expect(rows.map((row) => [row.action, row.request_id, row.client_request_id])).toEqual([
      ['user.permission.granted', served[0], `${base}-1`],
      ['user.permission.revoked', served[1], `${base}-2`],
      ['user.role.changed', served[2], `${base}-3`],
      ['user.updated', served[3], `${base}-4`],
      ['user.sessions.revoked', served[4], `${base}-5`],
      ['user.deleted', served[5], `${base}-6`],
    ]);
    for (const row of rows) {
      expect(row).toEqual(
        expect.objectContaining({
          admin_id: admin.user.id,
          resource_type: 'user',
          ip_address: expect.any(String),
          user_agent: agent,
          source: Database.Identity,
          message_id: expect.any(String),
          origin_process: 'web,admin,telegram',
        }),
      );
      expect(Math.abs(row.received_at.getTime() - row.created_at.getTime())).toBeLessThan(5_000);
    }
    expect(rows[2]?.old_values).toEqual({ role: 'user' });
    expect(rows[2]?.new_values).toEqual({ role: 'admin' });
    expect(rows[5]?.old_values).toEqual({ email: target.email, role: 'admin' });
    // Secrets never: no password, hash or token anywhere.
    expect(JSON.stringify(rows)).not.toMatch(/password|argon2|\$argon/i);
  });

  it('audits staff logins, failed logins and logouts exactly once each', async () => {
    const other = await staffWith(app, [Permission.AuditRead]);
    await http(app)
      .post('/admin/auth/login')
      .send({ email: other.user.email, password: 'wrong password' })
      .expect(401);
    const login = await http(app)
      .post('/admin/auth/login')
      .send({ email: other.user.email, password: PASSWORD })
      .expect(200);
    const token = sessionCookieOf(login.headers['set-cookie'], AppContext.Admin);
    await http(app)
      .post('/admin/auth/logout')
      .set('Cookie', cookieFor(AppContext.Admin, token))
      .expect(204);
    const unknown = `nobody-${Date.now()}@example.test`;
    await http(app)
      .post('/admin/auth/login')
      .send({ email: unknown, password: 'wrong password' })
      .expect(401);

    await eventually(async () => (await auditRows(app, { actor: other.user.id })).length >= 4);
    const rows = await auditRows(app, { actor: other.user.id });
    // staffWith logged in once before these.
    expect(rows.map((row) => row.action)).toEqual([
      'auth.login.succeeded',
      'auth.login.failed',
      'auth.login.succeeded',
      'auth.logout',
    ]);
    expect(rows[1]?.new_values).toEqual(expect.objectContaining({ reason: 'wrong_password' }));
    const anonymous = (await auditRows(app, { action: 'auth.login.failed' })).filter(
      (row) => row.new_values?.email === unknown,
    );
    expect(anonymous).toHaveLength(1);
    expect(anonymous[0]?.admin_id).toBeNull();
  });

  it('stamps the source database and the arrival time itself, whatever a message claims', async () => {
    const forger = randomUUID();
    // What any process holding the web database's credentials could write.
    await database(app, Database.Web).transaction((manager) =>
      app.get(WebOutbox).add(manager, AUDIT_TOPIC, {
        actorId: forger,
        action: 'rate.changed',
        resourceType: 'rate',
        resourceId: 'USD/EUR',
        oldValues: null,
        newValues: null,
        ipAddress: null,
        userAgent: null,
        requestId: 'chosen-by-the-writer',
        at: '2001-01-01T00:00:00.000Z',
        originProcess: 'admin',
        source: 'admin',
      }),
    );
    const before = Date.now();
    await eventually(async () => (await auditRows(app, { actor: forger })).length === 1);
    const [row] = await auditRows(app, { actor: forger });
    expect(row).toEqual(
      expect.objectContaining({
        source: Database.Web,
        origin_process: 'admin',
        created_at: new Date('2001-01-01T00:00:00.000Z'),
      }),
    );
    expect(row!.received_at.getTime()).toBeGreaterThan(before - 5_000);
  });

  it('refuses to change or remove any audit row, whoever asks', async () => {
    const admin_ = database(app, Database.Admin);
    await expect(admin_.query(`UPDATE audit_logs SET action = 'forged'`)).rejects.toThrow(
      /append-only/,
    );
    await expect(admin_.query('DELETE FROM audit_logs')).rejects.toThrow(/append-only/);
    await expect(admin_.query('TRUNCATE audit_logs')).rejects.toThrow(/append-only/);
    const rows: Array<{ count: number }> = await admin_.query(
      `SELECT count(*)::int AS count FROM audit_logs WHERE action = 'forged'`,
    );
    expect(rows[0]?.count).toBe(0);
  });

  it('lists the trail newest first, filtered by actor, action, resource and time, a keyset page at a time', async () => {
    const reader = await staffWith(app, [Permission.AuditRead]);
    const other = await staffWith(app, [Permission.UsersManage]);
    const target = await registerUser(app, 'listed');
    const bystander = await registerUser(app, 'bystander');
    const act = (by: Staff, method: 'put' | 'delete', user: string, permission: Permission) =>
      http(app)
        [method](`/admin/users/${user}/permissions/web/${permission}`)
        .set('Cookie', by.cookie)
        .expect(204);
    // Before `from`: left out by the time filter.
    await act(admin, 'put', target.id, Permission.OrdersRead);
    const from = new Date(Date.now() + 1);
    await eventually(() => Promise.resolve(Date.now() > from.getTime()));
    await act(admin, 'put', target.id, Permission.AnalyticsRead);
    await act(other, 'delete', target.id, Permission.OrdersRead); // another actor
    await http(app)
      .patch(`/admin/users/${target.id}`)
      .send({ emailVerified: true })
      .set('Cookie', admin.cookie)
      .expect(204); // another action
    await act(admin, 'put', bystander.id, Permission.OrdersWrite); // another resource
    await act(admin, 'delete', target.id, Permission.AnalyticsRead);
    await act(admin, 'put', target.id, Permission.OrdersWrite);
    await auditRows(app, { resourceId: target.id });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Response = await http(app)
        .get('/admin/audit')
        .query({
          actor: admin.user.id,
          resource: `user:${target.id}`,
          action: 'user.permission.*',
          from: from.toISOString(),
          limit: 2,
          ...(cursor === null ? {} : { cursor }),
        })
        .set('Cookie', reader.cookie)
        .expect(200);
      seen.push(
        ...page.body.items.map(
          (item: {
            action: string;
            actor: string;
            resourceId: string;
            newValues: { permission?: string } | null;
            oldValues: { permission?: string } | null;
          }) =>
            `${item.actor === admin.user.id ? 'admin' : item.actor} ${item.action} ${item.resourceId === target.id ? 'target' : item.resourceId} ${(item.newValues ?? item.oldValues)?.permission}`,
        ),
      );
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual([
      `admin user.permission.granted target ${Permission.OrdersWrite}`,
      `admin user.permission.revoked target ${Permission.AnalyticsRead}`,
      `admin user.permission.granted target ${Permission.AnalyticsRead}`,
    ]);
    const future = await http(app)
      .get('/admin/audit')
      .query({ from: new Date(Date.now() + 60_000).toISOString() })
      .set('Cookie', reader.cookie)
      .expect(200);
    expect(future.body.items).toEqual([]);
    await http(app)
      .get('/admin/audit')
      .query({ actor: 'nope' })
      .set('Cookie', reader.cookie)
      .expect(400);
  });

  it('refuses staff without audit:read (403 naming it)', async () => {
    const other = await staffWith(app, [Permission.UsersManage]);
    const response = await http(app).get('/admin/audit').set('Cookie', other.cookie).expect(403);
    expect(response.body.message).toBe(`Missing permission: ${Permission.AuditRead}`);
  });
});
