import { SessionService, UsersService } from '@exchanger/identity';
import type { Response } from 'supertest';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppContext } from '../src/common/app-context.js';
import { Permission } from '../src/common/permissions.js';
import { auditRows, http, type Staff, staff, staffWith } from './support/admin.js';
import { startTestApp } from './support/test-app.js';
import {
  cookieFor,
  logIn,
  PASSWORD,
  registerUser,
  type TestUser,
  uniqueEmail,
} from './support/users.js';

describe('admin: users and their sessions', () => {
  let app: NestFastifyApplication;
  let admin: Staff;

  beforeAll(async () => {
    app = await startTestApp();
    admin = await staff(app);
  });
  afterAll(() => app.close());

  async function customer(label: string): Promise<{ user: TestUser; token: string }> {
    const user = await registerUser(app, label);
    return { user, token: await logIn(app, AppContext.Web, user) };
  }

  it('finds users by a part of their email in any case, a stable keyset page at a time', async () => {
    const marker = `find${Date.now()}`;
    const created: string[] = [];
    for (let index = 0; index < 5; index++) {
      const email = `${marker}-${index}-${uniqueEmail('x')}`;
      const response = await http(app)
        .post('/web/auth/register')
        .send({ email, password: PASSWORD })
        .expect(201);
      created.push(response.body.user.id as string);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Response = await http(app)
        .get('/admin/users')
        .query({ q: marker.toUpperCase(), limit: 2, ...(cursor === null ? {} : { cursor }) })
        .set('Cookie', admin.cookie)
        .expect(200);
      seen.push(...page.body.items.map((item: { id: string }) => item.id));
      expect(page.body.items.every((item: { email: string }) => item.email.includes(marker))).toBe(
        true,
      );
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    // Newest first, each once.
    expect(seen).toEqual([...created].reverse());
    const admins = await http(app)
      .get('/admin/users')
      .query({ role: 'admin', q: admin.user.email })
      .set('Cookie', admin.cookie)
      .expect(200);
    expect(admins.body.items.map((item: { id: string }) => item.id)).toEqual([admin.user.id]);
  });

  it('shows a user with permissions and live sessions per application and the latest security events', async () => {
    const { user } = await customer('detail');
    await http(app)
      .post('/web/auth/login')
      .set('User-Agent', 'detail-agent')
      .send({ email: user.email, password: PASSWORD })
      .expect(200);
    const detail = await http(app)
      .get(`/admin/users/${user.id}`)
      .set('Cookie', admin.cookie)
      .expect(200);
    expect(detail.body.user).toEqual(
      expect.objectContaining({ id: user.id, email: user.email, disabled: false }),
    );
    expect(detail.body.user.passwordHash).toBeUndefined();
    expect(detail.body.permissions.web).toEqual([Permission.OrdersRead, Permission.OrdersWrite]);
    // Registration opened one, and the two logins.
    expect(detail.body.sessions.web).toHaveLength(3);
    expect(detail.body.sessions.web).toContainEqual(
      expect.objectContaining({ userAgent: 'detail-agent', ipAddress: expect.any(String) }),
    );
    expect(detail.body.sessions.admin).toEqual([]);
    expect(detail.body.telegram).toBeNull();
    expect(detail.body.securityEvents.map((event: { type: string }) => event.type)).toContain(
      'login.succeeded',
    );
  });

  it('caps the live sessions of a user’s detail per application, newest first, and counts the rest', async () => {
    const { user } = await customer('many-sessions');
    const sessions = app.get(SessionService);
    for (let n = 0; n < 25; n++)
      await sessions.create(AppContext.Web, user.id, { ipAddress: null, userAgent: `agent ${n}` });
    const detail = await http(app)
      .get(`/admin/users/${user.id}`)
      .set('Cookie', admin.cookie)
      .expect(200);
    // The registration's and the login's, then 25 more: 27 live, the newest 20 shown.
    expect(detail.body.sessions.web).toHaveLength(20);
    expect(detail.body.sessions.web[0].userAgent).toBe('agent 24');
    expect(detail.body.sessionsNotShown).toEqual({ web: 7, admin: 0, telegram: 0 });
  });

  it('disables a user: their next request is refused at once, they cannot log in, and enabling restores login', async () => {
    const { user, token } = await customer('disabled');
    await http(app).get('/web/auth/me').set('Cookie', cookieFor(AppContext.Web, token)).expect(200);
    await http(app)
      .patch(`/admin/users/${user.id}`)
      .set('Cookie', admin.cookie)
      .send({ disabled: true })
      .expect(204);
    await http(app).get('/web/auth/me').set('Cookie', cookieFor(AppContext.Web, token)).expect(401);
    await http(app)
      .post('/web/auth/login')
      .send({ email: user.email, password: PASSWORD })
      .expect(401);
    const detail = await http(app)
      .get(`/admin/users/${user.id}`)
      .set('Cookie', admin.cookie)
      .expect(200);
    expect(detail.body.user.disabled).toBe(true);
    expect(detail.body.sessions.web).toEqual([]);
    await http(app)
      .patch(`/admin/users/${user.id}`)
      .set('Cookie', admin.cookie)
      .send({ disabled: false })
      .expect(204);
    await logIn(app, AppContext.Web, user);
  });

  // The last admin who can manage users is kept whoever acts: see staff-rules.spec.ts, on
  // databases whose admins that file alone makes.
  it('refuses to let an admin disable their own account (409 naming it)', async () => {
    const refused = await http(app)
      .patch(`/admin/users/${admin.user.id}`)
      .set('Cookie', admin.cookie)
      .send({ disabled: true })
      .expect(409);
    expect(refused.body.message).toBe('You cannot disable or enable your own account');
    const users = app.get(UsersService);
    expect((await users.get(admin.user.id)).disabledAt).toBeNull();
  });

  it('verifies an email and refuses unknown fields', async () => {
    const { user } = await customer('verify');
    await http(app)
      .patch(`/admin/users/${user.id}`)
      .set('Cookie', admin.cookie)
      .send({ emailVerified: true })
      .expect(204);
    expect((await app.get(UsersService).get(user.id)).emailVerified).toBe(true);
    const refused = await http(app)
      .patch(`/admin/users/${user.id}`)
      .set('Cookie', admin.cookie)
      .send({ role: 'admin' })
      .expect(400);
    expect(refused.body.message).toMatch(/role/);
  });

  it('revokes one session, all in one application, or all everywhere', async () => {
    const { user, token: first } = await customer('sessions');
    const second = await logIn(app, AppContext.Web, user);
    const web = (token: string) =>
      http(app).get('/web/auth/me').set('Cookie', cookieFor(AppContext.Web, token));
    const detail = await http(app)
      .get(`/admin/users/${user.id}`)
      .set('Cookie', admin.cookie)
      .expect(200);
    const secondId = (await web(second).expect(200)).body.session.id as string;
    expect(detail.body.sessions.web.map((s: { id: string }) => s.id)).toContain(secondId);

    await http(app)
      .delete(`/admin/users/${user.id}/sessions/${secondId}`)
      .set('Cookie', admin.cookie)
      .expect(204);
    await web(second).expect(401);
    await web(first).expect(200);
    await http(app)
      .delete(`/admin/users/${user.id}/sessions/${secondId}`)
      .set('Cookie', admin.cookie)
      .expect(404);

    await http(app)
      .delete(`/admin/users/${user.id}/sessions`)
      .query({ context: 'telegram' })
      .set('Cookie', admin.cookie)
      .expect(204);
    await web(first).expect(200);
    await http(app)
      .delete(`/admin/users/${user.id}/sessions`)
      .query({ context: 'web' })
      .set('Cookie', admin.cookie)
      .expect(204);
    await web(first).expect(401);

    const third = await logIn(app, AppContext.Web, user);
    await http(app)
      .delete(`/admin/users/${user.id}/sessions`)
      .set('Cookie', admin.cookie)
      .expect(204);
    await web(third).expect(401);
    const revoked = await auditRows(app, { resourceId: user.id });
    expect(revoked.map((row) => row.action)).toEqual([
      'user.session.revoked',
      'user.sessions.revoked',
      'user.sessions.revoked',
      'user.sessions.revoked',
    ]);
  });

  it('refuses staff without users:manage (403 naming it)', async () => {
    const other = await staffWith(app, [Permission.AuditRead]);
    const { user } = await customer('forbidden');
    for (const call of [
      http(app).get('/admin/users'),
      http(app).get(`/admin/users/${user.id}`),
      http(app).patch(`/admin/users/${user.id}`).send({ disabled: true }),
      http(app).delete(`/admin/users/${user.id}/sessions`),
    ]) {
      const response = await call.set('Cookie', other.cookie).expect(403);
      expect(response.body.message).toBe(`Missing permission: ${Permission.UsersManage}`);
    }
    await http(app).get('/web/auth/me').expect(401);
  });

  it('refuses to grant a permission no route of that context asks for (400 naming both), and grants it where one does', async () => {
    const { user } = await customer('dead-grant');
    const refused = await http(app)
      .put(`/admin/users/${user.id}/permissions/admin/${Permission.AnalyticsRead}`)
      .set('Cookie', admin.cookie)
      .expect(400);
    expect(refused.body.message).toBe(
      `${Permission.AnalyticsRead} is not a permission of the admin context: no route there asks for it`,
    );
    expect((await app.get(UsersService).permissionsByContext(user.id))[AppContext.Admin]).toEqual(
      [],
    );
    await http(app)
      .put(`/admin/users/${user.id}/permissions/web/${Permission.AnalyticsRead}`)
      .set('Cookie', admin.cookie)
      .expect(204);
  });
});
