import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import pg from 'pg';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AppContext, Database } from '../src/common/app-context.js';
import { Permission } from '../src/common/permissions.js';
import { SessionService } from '../src/session/index.js';
import { eventually } from './support/eventually.js';
import { startTestApp } from './support/test-app.js';
import { type OwnDatabases, ownDatabases } from './support/own-databases.js';
import { cookieFor, logIn, registerAdmin, registerUser, type TestUser } from './support/users.js';

/**
 * Staff rules on databases of their own, so that the admins it counts are only the ones
 * this file makes.
 */
describe('staff rules: no self-escalation, no lock-out', () => {
  let databases: OwnDatabases;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const asAdmin = (token: string) => cookieFor(AppContext.Admin, token);
  const identity = () => app.get<DataSource>(getDataSourceToken(Database.Identity));

  beforeAll(async () => {
    databases = await ownDatabases('staff_rules');
    app = await startTestApp(databases.env);
  });
  afterAll(async () => {
    await app.close();
    await databases.drop();
  });

  /** An admin with users:manage but not admins:manage. */
  async function userManager(): Promise<{ user: TestUser; token: string }> {
    const user = await registerAdmin(app);
    const root = await firstAdmin();
    await http()
      .delete(`/admin/users/${user.id}/permissions/admin/${Permission.AdminsManage}`)
      .set('Cookie', asAdmin(root.token))
      .expect(204);
    return { user, token: await logIn(app, AppContext.Admin, user) };
  }

  let root: { user: TestUser; token: string } | undefined;
  async function firstAdmin(): Promise<{ user: TestUser; token: string }> {
    if (root === undefined) {
      const user = await registerAdmin(app);
      root = { user, token: await logIn(app, AppContext.Admin, user) };
    }
    return root;
  }

  it('ends a demoted admin’s admin sessions at once, so it cannot promote itself back', async () => {
    const a = await firstAdmin();
    const b = await registerAdmin(app);
    const bToken = await logIn(app, AppContext.Admin, b);
    await http().get('/admin/auth/me').set('Cookie', asAdmin(bToken)).expect(200);
    await http()
      .put(`/admin/users/${b.id}/role`)
      .set('Cookie', asAdmin(a.token))
      .send({ role: 'user' })
      .expect(204);
    await http().get('/admin/auth/me').set('Cookie', asAdmin(bToken)).expect(401);
    await http()
      .put(`/admin/users/${b.id}/role`)
      .set('Cookie', asAdmin(bToken))
      .send({ role: 'admin' })
      .expect(401);
    expect(await app.get(SessionService).list(b.id, AppContext.Admin)).toEqual([]);
  });

  it.each([
    ['change its own role', 'put', (id: string) => `/admin/users/${id}/role`, { role: 'user' }],
    [
      'grant itself a permission',
      'put',
      (id: string) => `/admin/users/${id}/permissions/web/${Permission.AnalyticsRead}`,
      undefined,
    ],
    [
      'revoke its own permission',
      'delete',
      (id: string) => `/admin/users/${id}/permissions/admin/${Permission.RatesManage}`,
      undefined,
    ],
    ['delete itself', 'delete', (id: string) => `/admin/users/${id}`, undefined],
  ] as const)('refuses an admin to %s (409)', async (_, method, path, body) => {
    const { user, token } = await userManager();
    const call = http()[method](path(user.id)).set('Cookie', asAdmin(token));
    const response = await (body === undefined ? call : call.send(body)).expect(409);
    expect(response.body.message).toMatch(/your own account/);
  });

  it('lets only holders of admins:manage grant users:manage or make admins (403 otherwise)', async () => {
    const { token } = await userManager();
    const target = await registerUser(app);
    const grant = await http()
      .put(`/admin/users/${target.id}/permissions/admin/${Permission.UsersManage}`)
      .set('Cookie', asAdmin(token))
      .expect(403);
    expect(grant.body.message).toBe(`Missing permission: ${Permission.AdminsManage}`);
    await http()
      .put(`/admin/users/${target.id}/role`)
      .set('Cookie', asAdmin(token))
      .send({ role: 'admin' })
      .expect(403);
    await http()
      .put(`/admin/users/${target.id}/permissions/web/${Permission.AnalyticsRead}`)
      .set('Cookie', asAdmin(token))
      .expect(204);
  });

  it('refuses any change that would leave no admin who can manage users, even two racing (409)', async () => {
    const a = await firstAdmin();
    const b = await registerAdmin(app);
    const bToken = await logIn(app, AppContext.Admin, b);
    const others: Array<{ id: string }> = await identity().query(
      `SELECT id FROM users WHERE role = 'admin' AND id NOT IN ($1, $2)`,
      [a.user.id, b.id],
    );
    for (const { id } of others) {
      await http().delete(`/admin/users/${id}`).set('Cookie', asAdmin(a.token)).expect(204);
    }
    // A and B demote each other at once. Holding the rule's lock until both wait for it makes
    // them race exactly where the rule is checked: each has changed the other's row.
    const holder = new pg.Client({ connectionString: databases.urls[Database.Identity] });
    await holder.connect();
    await holder.query("SELECT pg_advisory_lock(hashtextextended('exchanger:admins', 0))");
    const racing = Promise.all([
      http()
        .put(`/admin/users/${b.id}/role`)
        .set('Cookie', asAdmin(a.token))
        .send({ role: 'user' }),
      http()
        .put(`/admin/users/${a.user.id}/role`)
        .set('Cookie', asAdmin(bToken))
        .send({ role: 'user' }),
    ]);
    await eventually(async () => {
      const waiting = await holder.query<{ count: number }>(
        `SELECT count(*)::int AS count FROM pg_locks
         WHERE locktype = 'advisory' AND NOT granted
           AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      );
      return waiting.rows[0]?.count === 2;
    });
    await holder.query("SELECT pg_advisory_unlock(hashtextextended('exchanger:admins', 0))");
    await holder.end();
    const [first, second] = await racing;
    expect([first.status, second.status].sort()).toEqual([204, 409]);
    const refused = first.status === 409 ? first : second;
    expect(refused.body.message).toMatch(/no admin who can manage users/);
    const remaining: Array<{ count: number }> = await identity().query(
      `SELECT count(*)::int AS count FROM users WHERE role = 'admin'`,
    );
    expect(remaining[0]?.count).toBe(1);
  });
});
