import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppContext } from '../src/common/app-context.js';
import { Permission } from '../src/common/permissions.js';
import { auditRows, http, type Staff, staff } from './support/admin.js';
import { startTestApp } from './support/test-app.js';
import { cookieFor, logIn, PASSWORD, registerUser } from './support/users.js';

/** A step-up window of 2 s (ADMIN_STEP_UP_SECONDS: the setting's default), so sessions age quickly. */
describe('step-up for dangerous actions', () => {
  let app: NestFastifyApplication;
  let admin: Staff;

  beforeAll(async () => {
    app = await startTestApp({ ADMIN_STEP_UP_SECONDS: '2' });
    admin = await staff(app);
  });
  afterAll(() => app.close());

  const grant = (cookie: string, userId: string) =>
    http(app)
      .put(`/admin/users/${userId}/permissions/web/${Permission.AnalyticsRead}`)
      .set('Cookie', cookie);

  it('allows a dangerous action right after login, refuses it once the window has passed, and allows it again after a confirmation', async () => {
    const target = await registerUser(app, 'step-up');
    await grant(admin.cookie, target.id).expect(204);
    await sleep(2_500);
    const refused = await grant(admin.cookie, target.id).expect(403);
    expect(refused.body).toEqual(
      expect.objectContaining({ statusCode: 403, code: 'step_up_required' }),
    );
    for (const dangerous of [
      http(app).put(`/admin/users/${target.id}/role`).send({ role: 'admin' }),
      http(app).delete(`/admin/users/${target.id}`),
      http(app).patch(`/admin/users/${target.id}`).send({ disabled: true }),
      http(app).put('/admin/rates/USD/EUR').send({ rate: '0.9' }),
    ]) {
      const response = await dangerous.set('Cookie', admin.cookie).expect(403);
      expect(response.body.code).toBe('step_up_required');
    }
    // Not dangerous: no step-up.
    await http(app)
      .patch(`/admin/users/${target.id}`)
      .set('Cookie', admin.cookie)
      .send({ emailVerified: true })
      .expect(204);

    const wrong = await http(app)
      .post('/admin/auth/confirm')
      .set('Cookie', admin.cookie)
      .send({ password: 'not the password' })
      .expect(400);
    expect(wrong.body.message).toBe('password is incorrect');
    await grant(admin.cookie, target.id).expect(403);

    const confirmed = await http(app)
      .post('/admin/auth/confirm')
      .set('Cookie', admin.cookie)
      .send({ password: PASSWORD })
      .expect(200);
    expect(Date.parse(confirmed.body.stepUpUntil)).toBeGreaterThan(Date.now());
    await grant(admin.cookie, target.id).expect(204);
    const audit = await auditRows(app, { actor: admin.user.id });
    expect(audit.map((row) => row.action)).toEqual(
      expect.arrayContaining(['auth.password.failed', 'auth.password.confirmed']),
    );
  });

  it('counts a confirmation only for the session it was made in', async () => {
    const target = await registerUser(app, 'per-session');
    const other = await logIn(app, AppContext.Admin, admin.user);
    await sleep(2_500);
    await http(app)
      .post('/admin/auth/confirm')
      .set('Cookie', admin.cookie)
      .send({ password: PASSWORD })
      .expect(200);
    await grant(admin.cookie, target.id).expect(204);
    const refused = await grant(cookieFor(AppContext.Admin, other), target.id).expect(403);
    expect(refused.body.code).toBe('step_up_required');
  });

  it('throttles confirmations like logins: wrong passwords lock, and the session that tried ends', async () => {
    const other = await staff(app);
    const confirm = (password: string) =>
      http(app).post('/admin/auth/confirm').set('Cookie', other.cookie).send({ password });
    for (let attempt = 1; attempt < 5; attempt++) await confirm('wrong password').expect(400);
    const locked = await confirm('wrong password').expect(401);
    expect(locked.body.message).toMatch(/session has ended/);
    await http(app).get('/admin/auth/me').set('Cookie', other.cookie).expect(401);
  });

  it('refuses a confirmation without a session or with a malformed body', async () => {
    await http(app).post('/admin/auth/confirm').send({ password: PASSWORD }).expect(401);
    await http(app).post('/admin/auth/confirm').set('Cookie', admin.cookie).send({}).expect(400);
  });

  it('needs step-up to change settings and configurations, not to read them', async () => {
    const other = await staff(app);
    const created = await http(app)
      .post('/admin/configurations/alert-rules')
      .set('Cookie', other.cookie)
      .send({ value: { rules: [] } })
      .expect(201);
    await sleep(2_500);
    const attempts = [
      http(app).put('/admin/settings/reports.retentionDays').send({ value: 30 }),
      http(app)
        .post('/admin/configurations/alert-rules')
        .send({ value: { rules: [] } }),
      http(app).post(`/admin/configurations/alert-rules/versions/${created.body.version}/activate`),
      http(app)
        .post('/admin/configurations/rate-bounds')
        .send({ value: { pairs: {} } }),
    ];
    for (const attempt of attempts) {
      const refused = await attempt.set('Cookie', other.cookie).expect(403);
      expect(refused.body.code).toBe('step_up_required');
    }
    // Other files save alert rules too: none of these is by this staff member, or active.
    const versions = await http(app)
      .get('/admin/configurations/alert-rules')
      .set('Cookie', other.cookie)
      .expect(200);
    const theirs = (versions.body as Array<{ createdBy: string; version: number; active: boolean }>)
      .filter((version) => version.createdBy === other.user.id)
      .map(({ version, active }) => ({ version, active }));
    expect(theirs).toEqual([{ version: created.body.version, active: false }]);
    await http(app).get('/admin/settings').set('Cookie', other.cookie).expect(200);
    expect(await auditRows(app, { actor: other.user.id, action: 'setting.changed' })).toEqual([]);

    await http(app)
      .post('/admin/auth/confirm')
      .set('Cookie', other.cookie)
      .send({ password: PASSWORD })
      .expect(200);
    await http(app)
      .put('/admin/settings/reports.retentionDays')
      .set('Cookie', other.cookie)
      .send({ value: 30 })
      .expect(204);
  });

  it('refuses a step-up window above 15 minutes, naming the bound', async () => {
    const refused = await http(app)
      .put('/admin/settings/stepUp.windowSeconds')
      .set('Cookie', (await staff(app)).cookie)
      .send({ value: 86_400 })
      .expect(400);
    expect(refused.body.message).toBe(
      'stepUp.windowSeconds: must be a whole number from 30 to 900',
    );
  });
});

describe('step-up window and the admin session', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startTestApp({ ADMIN_STEP_UP_SECONDS: '600', SESSION_ADMIN_IDLE_SECONDS: '4' });
  });
  afterAll(() => app.close());

  it('lets a password entry count for at most half an idle admin session, whatever the window', async () => {
    const admin = await staff(app);
    const target = await registerUser(app, 'half-idle');
    const confirmed = await http(app)
      .post('/admin/auth/confirm')
      .set('Cookie', admin.cookie)
      .send({ password: PASSWORD })
      .expect(200);
    expect(Date.parse(confirmed.body.stepUpUntil) - Date.now()).toBeLessThanOrEqual(2_000);
    await sleep(2_500);
    // The session is still alive (idle 4 s), but its password entry no longer counts.
    const refused = await http(app)
      .put(`/admin/users/${target.id}/permissions/web/${Permission.AnalyticsRead}`)
      .set('Cookie', admin.cookie)
      .expect(403);
    expect(refused.body.code).toBe('step_up_required');
    await http(app).get('/admin/auth/me').set('Cookie', admin.cookie).expect(200);
  });
});
