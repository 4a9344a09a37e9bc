import { PasswordReset, SessionService, UsersService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { ParsedMail } from 'mailparser';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AppContext, Database } from '../src/common/app-context.js';
import { Permission } from '../src/common/permissions.js';
import { staff, staffWith } from './support/admin.js';
import { eventually } from './support/eventually.js';
import { mailDeployment, type MailDeployment, type TestSmtpServer } from './support/smtp.js';
import {
  cookieFor,
  logIn,
  PASSWORD,
  registerUser,
  type TestUser,
  uniqueEmail,
} from './support/users.js';

const NEW_PASSWORD = 'a brand new passphrase';

/**
 * Each describe runs a deployment of its own: the mail sender of any process on the same
 * identity database would take its mail (into files, without this SMTP server).
 */
/** Registration mails an address verification too; these tests look at the rest. */
function notVerifying(mails: ParsedMail[]): ParsedMail[] {
  return mails.filter((mail) => !/verify-email\?token=/.test(mail.text ?? ''));
}

describe('password reset by mail', () => {
  let deployment: MailDeployment;
  let smtp: TestSmtpServer;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    deployment = await mailDeployment('reset', { WEB_APP_URL: 'https://app.exchanger.test' });
    ({ smtp, app } = deployment);
  });
  afterAll(() => deployment.close());

  function identity(): DataSource {
    return app.get<DataSource>(getDataSourceToken(Database.Identity));
  }

  const notVerification = (address: string) => notVerifying(smtp.to(address));

  async function mailsTo(
    address: string,
    count: number,
    timeoutMs = 15_000,
  ): Promise<ParsedMail[]> {
    await eventually(() => Promise.resolve(notVerification(address).length >= count), timeoutMs);
    return notVerification(address);
  }

  /** The token of the reset link in a mail, from its text; the HTML carries the same link. */
  function tokenOf(mail: ParsedMail): string {
    const link = /https:\/\/app\.exchanger\.test\/reset-password\?token=([A-Za-z0-9_-]+)/.exec(
      mail.text ?? '',
    );
    if (link === null) throw new Error(`no reset link in: ${mail.text}`);
    expect(mail.html).toContain(`reset-password?token=${link[1]}`);
    return link[1] as string;
  }

  function requestReset(email: string) {
    return http().post('/web/auth/password-reset').send({ email });
  }

  function confirm(token: string, newPassword = NEW_PASSWORD) {
    return http().post('/web/auth/password-reset/confirm').send({ token, newPassword });
  }

  async function loginStatus(user: TestUser, password: string): Promise<number> {
    const response = await http().post('/web/auth/login').send({ email: user.email, password });
    return response.status;
  }

  it('answers a known and an unknown email alike (202, same body), and mails only the known account a one-time link', async () => {
    const user = await registerUser(app, 'reset');
    const unknown = uniqueEmail('nobody');
    const [known, missing] = await Promise.all([requestReset(user.email), requestReset(unknown)]);
    expect(known.status).toBe(202);
    expect(missing.status).toBe(202);
    expect(missing.body).toEqual(known.body);
    const [mail] = await mailsTo(user.email, 1);
    expect(mail?.subject).toBe('Reset your password');
    expect(mail?.from?.text).toContain('no-reply@exchanger.localhost');
    expect(mail?.text).toContain('30 minutes');
    tokenOf(mail as ParsedMail);
    // Nothing was queued for the unknown address, and only the token's hash is kept.
    const rows: Array<{ recipient: string }> = await identity().query(
      'SELECT recipient FROM mail_outbox WHERE recipient = $1',
      [unknown],
    );
    expect(rows).toEqual([]);
    const tokens: Array<{ token_hash: string }> = await identity().query(
      `SELECT token_hash FROM account_tokens WHERE user_id = $1 AND purpose = 'password-reset'`,
      [user.id],
    );
    expect(tokens).toHaveLength(1);
    expect(tokens[0]?.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(tokens[0]?.token_hash).not.toBe(tokenOf(mail as ParsedMail));
  });

  it('sets the password once: every session in every context ends, the event is recorded, a "password changed" mail arrives, and the token is refused after', async () => {
    const user = await registerUser(app, 'reset');
    const webCookie = cookieFor(AppContext.Web, await logIn(app, AppContext.Web, user));
    const telegram = await app
      .get(SessionService)
      .create(AppContext.Telegram, user.id, { ipAddress: null, userAgent: 'test' });
    await requestReset(user.email).expect(202);
    const token = tokenOf((await mailsTo(user.email, 1))[0] as ParsedMail);

    await confirm(token).expect(204);
    await http().get('/web/auth/me').set('Cookie', webCookie).expect(401);
    expect(
      await app.get(SessionService).validate(AppContext.Telegram, telegram.token),
    ).toBeUndefined();
    expect(await loginStatus(user, PASSWORD)).toBe(401);
    expect(await loginStatus(user, NEW_PASSWORD)).toBe(200);

    const events: Array<{ event_type: string }> = await identity().query(
      `SELECT event_type FROM security_events WHERE user_id = $1 AND event_type LIKE 'password.%'
       ORDER BY id`,
      [user.id],
    );
    expect(events.map((event) => event.event_type)).toEqual([
      'password.reset_requested',
      'password.reset',
    ]);
    const mails = await mailsTo(user.email, 2);
    expect(mails[1]?.subject).toBe('Your password was changed');

    const again = await confirm(token, 'yet another passphrase').expect(400);
    expect(again.body.message).toContain('token is unknown, used or expired');
    expect(await loginStatus(user, NEW_PASSWORD)).toBe(200);
  });

  it('voids a link once a newer one is issued, and once the password is changed', async () => {
    const user = await registerUser(app, 'reset');
    await requestReset(user.email).expect(202);
    const first = tokenOf((await mailsTo(user.email, 1))[0] as ParsedMail);
    await requestReset(user.email).expect(202);
    const second = tokenOf((await mailsTo(user.email, 2))[1] as ParsedMail);
    await confirm(first).expect(400);

    const cookie = cookieFor(AppContext.Web, await logIn(app, AppContext.Web, user));
    await http()
      .post('/web/auth/password')
      .set('Cookie', cookie)
      .send({ currentPassword: PASSWORD, newPassword: 'changed by the user' })
      .expect(204);
    await confirm(second).expect(400);
    expect(await loginStatus(user, 'changed by the user')).toBe(200);
  });

  it('gives a disabled user no reset: no mail, and a link issued before no longer works', async () => {
    const user = await registerUser(app, 'reset');
    await requestReset(user.email).expect(202);
    const token = tokenOf((await mailsTo(user.email, 1))[0] as ParsedMail);
    await app.get(UsersService).updateAccount(user.id, { disabled: true });
    await confirm(token).expect(400);
    await requestReset(user.email).expect(202);
    await app.get(PasswordReset).settled();
    const queued: Array<{ count: number }> = await identity().query(
      `SELECT count(*)::int AS count FROM mail_outbox WHERE user_id = $1 AND kind = 'password-reset'`,
      [user.id],
    );
    expect(queued[0]?.count).toBe(1);
  });

  it('mails a user whose profile speaks Russian in Russian', async () => {
    const user = await registerUser(app, 'reset');
    const cookie = cookieFor(AppContext.Web, await logIn(app, AppContext.Web, user));
    await http().patch('/web/profile').set('Cookie', cookie).send({ language: 'ru' }).expect(200);
    await requestReset(user.email).expect(202);
    const [mail] = await mailsTo(user.email, 1);
    expect(mail?.subject).toBe('Сброс пароля');
    expect(mail?.text).toContain('30 минут');
    tokenOf(mail as ParsedMail);
  });

  it('throttles requests per account (429 with Retry-After), whether the account exists or not', async () => {
    const email = uniqueEmail('throttled');
    for (let index = 0; index < 3; index++) {
      await http().post('/web/auth/password-reset').send({ email }).expect(202);
    }
    const refused = await http().post('/web/auth/password-reset').send({ email }).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it.each([
    [
      '/web/auth/password-reset',
      { email: 'not an address' },
      'email must be a valid email address',
    ],
    ['/web/auth/password-reset', {}, 'email must be'],
    [
      '/web/auth/password-reset/confirm',
      { token: 'x', newPassword: 'short' },
      'newPassword must be 8 to 128 characters',
    ],
    ['/web/auth/password-reset/confirm', { newPassword: NEW_PASSWORD }, 'token must be'],
  ])('answers bad input to %s (%j) with 400 naming it', async (path, body, message) => {
    const response = await http().post(path).send(body).expect(400);
    expect(response.body.message).toContain(message);
  });

  it('answers a malformed or unknown token with 400, changing nothing', async () => {
    const response = await confirm('A'.repeat(43)).expect(400);
    expect(response.body.message).toContain('token is unknown, used or expired');
    await confirm('not-a-token').expect(400);
  });
});

describe('mail while the SMTP server fails', () => {
  let deployment: MailDeployment;
  let smtp: TestSmtpServer;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    deployment = await mailDeployment('mail_outage');
    ({ smtp, app } = deployment);
  });
  afterAll(() => deployment.close());

  function outbox(
    userId: string,
  ): Promise<Array<{ status: string; attempts: number; last_error: string | null }>> {
    return app.get<DataSource>(getDataSourceToken(Database.Identity)).query(
      `SELECT status, attempts, last_error FROM mail_outbox
         WHERE user_id = $1 AND kind = 'password-reset'`,
      [userId],
    );
  }

  async function reset(user: TestUser): Promise<void> {
    await request(app.getHttpServer())
      .post('/web/auth/password-reset')
      .send({ email: user.email })
      .expect(202);
  }

  it('loses no mail while the server answers 421 or is gone, and delivers it once when it is back', async () => {
    const user = await registerUser(app, 'outage');
    smtp.mood = 'unavailable';
    await reset(user);
    await eventually(async () => ((await outbox(user.id))[0]?.attempts ?? 0) >= 1);
    expect((await outbox(user.id))[0]).toMatchObject({ status: 'pending' });
    expect((await outbox(user.id))[0]?.last_error).toContain('Service not available');

    await smtp.goAway();
    smtp.mood = 'accept';
    await eventually(async () => ((await outbox(user.id))[0]?.attempts ?? 0) >= 2, 20_000);
    expect((await outbox(user.id))[0]?.status).toBe('pending');

    await smtp.restart();
    await eventually(() => Promise.resolve(notVerifying(smtp.to(user.email)).length >= 1), 30_000);
    await eventually(async () => (await outbox(user.id))[0]?.status === 'sent');
    expect(notVerifying(smtp.to(user.email))).toHaveLength(1);
  }, 60_000);

  it('marks a mail the server refuses for good (550) failed, with the reason, shown to staff who manage users, and does not retry it', async () => {
    const user = await registerUser(app, 'refused');
    smtp.mood = 'refuse';
    await reset(user);
    await eventually(async () => (await outbox(user.id))[0]?.status === 'failed');
    const [row] = await outbox(user.id);
    expect(row?.attempts).toBe(1);
    expect(row?.last_error).toContain('No such mailbox');
    smtp.mood = 'accept';

    // Staff who manage users see it, without its body (it holds a one-time link).
    const admin = await staff(app);
    const listed = await request(app.getHttpServer())
      .get('/admin/mail')
      .set('Cookie', admin.cookie)
      .expect(200);
    const mine = (listed.body as Array<Record<string, unknown>>).filter(
      (mail) => mail.recipient === user.email && mail.kind === 'password-reset',
    );
    expect(mine).toEqual([
      expect.objectContaining({ kind: 'password-reset', status: 'failed', attempts: 1 }),
    ]);
    expect(mine[0]?.lastError).toContain('No such mailbox');
    expect(JSON.stringify(listed.body)).not.toContain('token=');
    const clerk = await staffWith(app, [Permission.AuditRead]);
    await request(app.getHttpServer()).get('/admin/mail').set('Cookie', clerk.cookie).expect(403);
    await request(app.getHttpServer())
      .get('/admin/mail?status=lost')
      .set('Cookie', admin.cookie)
      .expect(400);
  });
});
