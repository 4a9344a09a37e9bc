import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AppContext, Database } from '../src/common/app-context.js';
import { staff } from './support/admin.js';
import { eventually } from './support/eventually.js';
import { mailDeployment, type MailDeployment, type TestSmtpServer } from './support/smtp.js';
import {
  cookieFor,
  PASSWORD,
  registerUser,
  sessionCookieOf,
  type TestUser,
} from './support/users.js';

/** A deployment of its own: any other process's mail sender would take its mail. */
describe('security alerts by mail', () => {
  let deployment: MailDeployment;
  let smtp: TestSmtpServer;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    deployment = await mailDeployment('alerts');
    ({ smtp, app } = deployment);
  });
  afterAll(() => deployment.close());

  /** The subjects of the mail a user received, once `count` have arrived and nothing more came. */
  async function subjects(user: TestUser, count: number): Promise<string[]> {
    await eventually(() => Promise.resolve(smtp.to(user.email).length >= count), 15_000);
    // Let the sender drain whatever else was queued: it runs once more within its interval.
    await eventually(async () => {
      const [pending] = await app
        .get<DataSource>(getDataSourceToken(Database.Identity))
        .query<Array<{ count: number }>>(
          `SELECT count(*)::int AS count FROM mail_outbox WHERE user_id = $1 AND status = 'pending'`,
          [user.id],
        );
      return pending?.count === 0;
    });
    return smtp.to(user.email).map((mail) => mail.subject ?? '');
  }

  async function logInFrom(user: TestUser, agent: string): Promise<string> {
    const response = await http()
      .post('/web/auth/login')
      .set('User-Agent', agent)
      .send({ email: user.email, password: user.password })
      .expect(200);
    return cookieFor(
      AppContext.Web,
      sessionCookieOf(response.headers['set-cookie'], AppContext.Web),
    );
  }

  it('tells of a sign-in from a new device once, and not of one from a device seen before', async () => {
    const user = await registerUser(app, 'alert');
    // The registration's device (supertest's agent) is known: signing in from it alerts nothing.
    await http()
      .post('/web/auth/login')
      .send({ email: user.email, password: PASSWORD })
      .expect(200);
    await logInFrom(user, 'Phone/1.0');
    await logInFrom(user, 'Phone/1.0');
    const received = await subjects(user, 2);
    expect(received).toEqual(['Confirm your email address', 'Security alert']);
    const alert = smtp.to(user.email)[1];
    expect(alert?.text).toContain('signed into from a device or address not seen before');
    expect(alert?.text).toContain('Device: Phone/1.0');
  });

  it('tells of a password change, unless the user turned mail alerts off', async () => {
    const user = await registerUser(app, 'alert');
    const cookie = await logInFrom(user, 'Laptop/2.0');
    await http()
      .post('/web/auth/password')
      .set('Cookie', cookie)
      .set('User-Agent', 'Laptop/2.0')
      .send({ currentPassword: PASSWORD, newPassword: 'second passphrase' })
      .expect(204);
    expect(await subjects(user, 3)).toEqual([
      'Confirm your email address',
      'Security alert',
      'Security alert',
    ]);
    expect(smtp.to(user.email)[2]?.text).toContain('password of your account was changed');

    await http()
      .patch('/web/profile')
      .set('Cookie', cookie)
      .send({ alerts: { email: false } })
      .expect(200);
    await http()
      .post('/web/auth/password')
      .set('Cookie', cookie)
      .send({ currentPassword: 'second passphrase', newPassword: 'third passphrase' })
      .expect(204);
    await logInFrom({ ...user, password: 'third passphrase' }, 'Tablet/3.0');
    expect(await subjects(user, 3)).toHaveLength(3);
  });

  it('tells a user their account was disabled by staff, in their language', async () => {
    const admin = await staff(app);
    const user = await registerUser(app, 'alert');
    const cookie = await logInFrom(user, 'Desk/4.0');
    await http().patch('/web/profile').set('Cookie', cookie).send({ language: 'ru' }).expect(200);
    await http()
      .patch(`/admin/users/${user.id}`)
      .set('Cookie', admin.cookie)
      .send({ disabled: true })
      .expect(204);
    const received = await subjects(user, 3);
    expect(received.at(-1)).toBe('Уведомление безопасности');
    expect(smtp.to(user.email).at(-1)?.text).toContain('Ваш аккаунт отключён сотрудником');
  });
});
