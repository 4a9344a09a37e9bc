import { SessionService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import pg from 'pg';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AppContext, Database } from '../src/common/app-context.js';
import { Permission } from '../src/common/permissions.js';
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

  /**
   * Runs two staff changes at once, racing exactly where the rule is checked: holding the
   * rule's lock until both wait for it, each has changed the other's row by then.
   */
  async function racing(
    calls: [request.Test, request.Test],
  ): Promise<[request.Response, request.Response]> {
    const holder = new pg.Client({ connectionString: databases.urls[Database.Identity] });
    await holder.connect();
    await holder.query("SELECT pg_advisory_lock(hashtextextended('exchanger:admins', 0))");
    const responses = Promise.all(calls.map((call) => call.then((response) => response)));
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
    const [first, second] = await responses;
    return [first as request.Response, second as request.Response];
  }

  /** Removes every admin but these, straight in the database (no rule to pass). */
  async function onlyAdmins(...kept: string[]): Promise<void> {
    await identity().query(
      `UPDATE users SET role = 'user' WHERE role = 'admin' AND id <> ALL($1)`,
      [kept],
    );
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
    const [first, second] = await racing([
      http()
        .put(`/admin/users/${b.id}/role`)
        .set('Cookie', asAdmin(a.token))
        .send({ role: 'user' }),
      http()
        .put(`/admin/users/${a.user.id}/role`)
        .set('Cookie', asAdmin(bToken))
        .send({ role: 'user' }),
    ]);
    expect([first.status, second.status].sort()).toEqual([204, 409]);
    const refused = first.status === 409 ? first : second;
    expect(refused.body.message).toMatch(/no admin who can manage users/);
    const remaining: Array<{ count: number }> = await identity().query(
      `SELECT count(*)::int AS count FROM users WHERE role = 'admin'`,
    );
    expect(remaining[0]?.count).toBe(1);
  });

  it('keeps an admin who can make admins: of two such admins revoking it from each other at once, one is refused (409)', async () => {
    const a = await registerAdmin(app);
    const b = await registerAdmin(app);
    await onlyAdmins(a.id, b.id);
    const [aToken, bToken] = [
      await logIn(app, AppContext.Admin, a),
      await logIn(app, AppContext.Admin, b),
    ];
    const revoke = (target: TestUser, token: string) =>
      http()
        .delete(`/admin/users/${target.id}/permissions/admin/${Permission.AdminsManage}`)
        .set('Cookie', asAdmin(token));
    const [first, second] = await racing([revoke(b, aToken), revoke(a, bToken)]);
    expect([first.status, second.status].sort()).toEqual([204, 409]);
    const refused = first.status === 409 ? first : second;
    expect(refused.body.message).toMatch(/no admin who can make admins \(admins:manage\)/);
    const holders: Array<{ count: number }> = await identity().query(
      `SELECT count(*)::int AS count FROM user_permissions p JOIN users u ON u.id = p.user_id
       WHERE u.role = 'admin' AND p.permission = $1 AND p.application_context = 'admin'`,
      [Permission.AdminsManage],
    );
    expect(holders[0]?.count).toBe(1);
  });

  it.each([
    ['disabling', 'patch', (id: string) => `/admin/users/${id}`, { disabled: true }],
    ['deleting', 'delete', (id: string) => `/admin/users/${id}`, undefined],
    [
      'revoking users:manage from',
      'delete',
      (id: string) => `/admin/users/${id}/permissions/admin/${Permission.UsersManage}`,
      undefined,
    ],
  ] as const)(
    'keeps the last admin who can manage users: of the last two %s each other at once, one is refused (409) and one admin remains',
    async (_, method, path, body) => {
      const a = await registerAdmin(app);
      const b = await registerAdmin(app);
      await onlyAdmins(a.id, b.id);
      const [aToken, bToken] = [
        await logIn(app, AppContext.Admin, a),
        await logIn(app, AppContext.Admin, b),
      ];
      const change = (target: TestUser, token: string) => {
        const call = http()[method](path(target.id)).set('Cookie', asAdmin(token));
        return body === undefined ? call : call.send(body);
      };
      const [first, second] = await racing([change(b, aToken), change(a, bToken)]);
      expect([first.status, second.status].sort()).toEqual([204, 409]);
      const refused = first.status === 409 ? first : second;
      expect(refused.body.message).toMatch(/no admin who can manage users \(users:manage\)/);
      const holders: Array<{ count: number }> = await identity().query(
        `SELECT count(*)::int AS count FROM user_permissions p JOIN users u ON u.id = p.user_id
         WHERE u.role = 'admin' AND u.disabled_at IS NULL AND p.permission = $1
           AND p.application_context = 'admin'`,
        [Permission.UsersManage],
      );
      expect(holders[0]?.count).toBe(1);
    },
  );

  describe('a staff member without admins:manage and a staff account', () => {
    let lesser: { user: TestUser; token: string };
    let superior: TestUser;
    let superiorToken: string;
    let superiorSession: string;
    let customer: TestUser;

    beforeAll(async () => {
      superior = await registerAdmin(app);
      const helper = await registerAdmin(app);
      lesser = await userManagerFrom(helper);
      superiorToken = await logIn(app, AppContext.Admin, superior);
      superiorSession = (await app.get(SessionService).list(superior.id, AppContext.Admin))[0]!.id;
      customer = await registerUser(app);
    });

    /** users:manage only, the admins:manage taken away by another admin. */
    async function userManagerFrom(other: TestUser) {
      const user = await registerAdmin(app);
      const token = await logIn(app, AppContext.Admin, other);
      await http()
        .delete(`/admin/users/${user.id}/permissions/admin/${Permission.AdminsManage}`)
        .set('Cookie', asAdmin(token))
        .expect(204);
      return { user, token: await logIn(app, AppContext.Admin, user) };
    }

    const changes = (target: () => string) =>
      [
        ['disable', 'patch', () => `/admin/users/${target()}`, { disabled: true }],
        ['verify the email of', 'patch', () => `/admin/users/${target()}`, { emailVerified: true }],
        ['delete', 'delete', () => `/admin/users/${target()}`, undefined],
        [
          'revoke a permission of',
          'delete',
          () => `/admin/users/${target()}/permissions/admin/${Permission.RatesManage}`,
          undefined,
        ],
        [
          'grant a permission to',
          'put',
          () => `/admin/users/${target()}/permissions/web/${Permission.AnalyticsRead}`,
          undefined,
        ],
        ['end every session of', 'delete', () => `/admin/users/${target()}/sessions`, undefined],
        [
          'end one session of',
          'delete',
          () => `/admin/users/${target()}/sessions/${superiorSession}`,
          undefined,
        ],
      ] as const;

    it.each(changes(() => superior.id))(
      'may not %s a staff account (403 naming admins:manage), and nothing changes',
      async (_, method, path, body) => {
        const call = http()[method](path()).set('Cookie', asAdmin(lesser.token));
        const response = await (body === undefined ? call : call.send(body)).expect(403);
        expect(response.body.message).toBe(`Missing permission: ${Permission.AdminsManage}`);
        const [row]: Array<{ disabled_at: Date | null; email_verified: boolean }> =
          await identity().query('SELECT disabled_at, email_verified FROM users WHERE id = $1', [
            superior.id,
          ]);
        expect(row).toEqual({ disabled_at: null, email_verified: false });
        const held = await identity().query(
          `SELECT permission FROM user_permissions WHERE user_id = $1
             AND ((application_context = 'admin' AND permission = $2)
               OR (application_context = 'web' AND permission = $3))`,
          [superior.id, Permission.RatesManage, Permission.AnalyticsRead],
        );
        expect(held).toEqual([{ permission: Permission.RatesManage }]);
        await http().get('/admin/auth/me').set('Cookie', asAdmin(superiorToken)).expect(200);
      },
    );

    it('may not enable a staff account a superior disabled (403)', async () => {
      const disabled = await registerAdmin(app);
      await http()
        .patch(`/admin/users/${disabled.id}`)
        .set('Cookie', asAdmin(superiorToken))
        .send({ disabled: true })
        .expect(204);
      const refused = await http()
        .patch(`/admin/users/${disabled.id}`)
        .set('Cookie', asAdmin(lesser.token))
        .send({ disabled: false })
        .expect(403);
      expect(refused.body.message).toBe(`Missing permission: ${Permission.AdminsManage}`);
      const [row]: Array<{ disabled: boolean }> = await identity().query(
        'SELECT disabled_at IS NOT NULL AS disabled FROM users WHERE id = $1',
        [disabled.id],
      );
      expect(row?.disabled).toBe(true);
    });

    it('still manages customers', async () => {
      await logIn(app, AppContext.Web, customer);
      for (const [, method, path, body] of changes(() => customer.id).filter(
        ([action]) => action !== 'end one session of' && action !== 'delete',
      )) {
        const call = http()[method](path()).set('Cookie', asAdmin(lesser.token));
        const expected = path().includes(Permission.RatesManage) ? 404 : 204;
        await (body === undefined ? call : call.send(body)).expect(expected);
      }
      await http()
        .delete(`/admin/users/${customer.id}`)
        .set('Cookie', asAdmin(lesser.token))
        .expect(204);
    });
  });
});
