import type { Response } from 'supertest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppContext, Database } from '../src/common/app-context.js';
import { Permission } from '../src/common/permissions.js';
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

  it('leaves exactly one audit row per staff action, with actor, resource, values, address, agent and request id', async () => {
    const target = await registerUser(app, 'audited');
    const agent = 'audit-test-agent';
    const act = async (
      call: ReturnType<ReturnType<typeof http>['put']>,
      status: number,
      requestId: string,
    ) => {
      await call
        .set('Cookie', admin.cookie)
        .set('User-Agent', agent)
        .set('X-Request-Id', requestId)
        .expect(status);
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
    expect(rows.map((row) => [row.action, row.request_id])).toEqual([
      ['user.permission.granted', `${base}-1`],
      ['user.permission.revoked', `${base}-2`],
      ['user.role.changed', `${base}-3`],
      ['user.updated', `${base}-4`],
      ['user.sessions.revoked', `${base}-5`],
      ['user.deleted', `${base}-6`],
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
        }),
      );
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
    const target = await registerUser(app, 'listed');
    for (const permission of [
      Permission.AnalyticsRead,
      Permission.OrdersRead,
      Permission.OrdersWrite,
    ]) {
      await http(app)
        .delete(`/admin/users/${target.id}/permissions/web/${permission}`)
        .set('Cookie', admin.cookie);
      await http(app)
        .put(`/admin/users/${target.id}/permissions/web/${permission}`)
        .set('Cookie', admin.cookie);
    }
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
          limit: 2,
          ...(cursor === null ? {} : { cursor }),
        })
        .set('Cookie', reader.cookie)
        .expect(200);
      seen.push(...page.body.items.map((item: { action: string }) => item.action));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(seen).toHaveLength(5); // analytics:read was not held: its revoke was a 404
    expect(seen[0]).toBe('user.permission.granted');
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
