import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ParsedMail } from 'mailparser';
import request from 'supertest';
import { AppContext } from '../src/common/app-context.js';
import { RatesService } from '../src/web/index.js';
import { auditRows, staff } from './support/admin.js';
import { eventually } from './support/eventually.js';
import { mailDeployment, type MailDeployment, type TestSmtpServer } from './support/smtp.js';
import { cookieFor, logIn, registerUser, type TestUser } from './support/users.js';

const KEY = 'orders.requireVerifiedEmail';

/** A deployment of its own: any other process's mail sender would take its mail. */
describe('email verification', () => {
  let deployment: MailDeployment;
  let smtp: TestSmtpServer;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    deployment = await mailDeployment('verify', { WEB_APP_URL: 'https://app.exchanger.test' });
    ({ smtp, app } = deployment);
  });
  afterAll(() => deployment.close());

  async function mailsTo(address: string, count: number): Promise<ParsedMail[]> {
    await eventually(() => Promise.resolve(smtp.to(address).length >= count), 15_000);
    return smtp.to(address);
  }

  function tokenOf(mail: ParsedMail | undefined): string {
    const link = /https:\/\/app\.exchanger\.test\/verify-email\?token=([A-Za-z0-9_-]+)/.exec(
      mail?.text ?? '',
    );
    if (link === null) throw new Error(`no verification link in: ${mail?.text}`);
    expect(mail?.html).toContain(`verify-email?token=${link[1]}`);
    return link[1] as string;
  }

  async function signedIn(user: TestUser): Promise<string> {
    return cookieFor(AppContext.Web, await logIn(app, AppContext.Web, user));
  }

  async function verified(cookie: string): Promise<boolean> {
    const me = await http().get('/web/auth/me').set('Cookie', cookie).expect(200);
    return me.body.user.emailVerified as boolean;
  }

  it('mails a one-time link at registration; the link verifies the address at once, even for a cached user, and only once', async () => {
    const user = await registerUser(app, 'verify');
    const [mail] = await mailsTo(user.email, 1);
    expect(mail?.subject).toBe('Confirm your email address');
    expect(mail?.text).toContain('24 hours');
    const token = tokenOf(mail);
    const cookie = await signedIn(user);
    // Read twice: the user is now in the cache, unverified.
    expect(await verified(cookie)).toBe(false);
    expect(await verified(cookie)).toBe(false);

    await http().post('/web/auth/verify-email').send({ token }).expect(204);
    expect(await verified(cookie)).toBe(true);
    const again = await http().post('/web/auth/verify-email').send({ token }).expect(400);
    expect(again.body.message).toContain('token is unknown, used or expired');
  });

  it('sends a new link on request, which voids the old one, and refuses once verified (409)', async () => {
    const user = await registerUser(app, 'verify');
    const first = tokenOf((await mailsTo(user.email, 1))[0]);
    const cookie = await signedIn(user);
    const resent = await http()
      .post('/web/auth/verify-email/resend')
      .set('Cookie', cookie)
      .expect(202);
    expect(resent.body).toEqual({ accepted: true });
    const second = tokenOf((await mailsTo(user.email, 2))[1]);
    await http().post('/web/auth/verify-email').send({ token: first }).expect(400);
    await http().post('/web/auth/verify-email').send({ token: second }).expect(204);
    const refused = await http()
      .post('/web/auth/verify-email/resend')
      .set('Cookie', cookie)
      .expect(409);
    expect(refused.body.message).toBe('The email address is already verified');
  });

  it('throttles resending per account (429 with Retry-After)', async () => {
    const user = await registerUser(app, 'verify');
    const cookie = await signedIn(user);
    for (let index = 0; index < 3; index++) {
      await http().post('/web/auth/verify-email/resend').set('Cookie', cookie).expect(202);
    }
    const refused = await http()
      .post('/web/auth/verify-email/resend')
      .set('Cookie', cookie)
      .expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('needs a session to resend (401), and answers a bad or missing token with 400', async () => {
    await http().post('/web/auth/verify-email/resend').expect(401);
    const missing = await http().post('/web/auth/verify-email').send({}).expect(400);
    expect(missing.body.message).toContain('token must be');
    const unknown = await http()
      .post('/web/auth/verify-email')
      .send({ token: 'B'.repeat(43) })
      .expect(400);
    expect(unknown.body.message).toContain('token is unknown, used or expired');
  });

  it('lets staff make orders need a verified email (a web setting, audited once); the refusal says why, and verifying lifts it', async () => {
    await app.get(RatesService).setRate('USD', 'EUR', '0.92');
    const admin = await staff(app);
    const user = await registerUser(app, 'verify');
    const token = tokenOf((await mailsTo(user.email, 1))[0]);
    const cookie = await signedIn(user);
    const order = () =>
      http()
        .post('/web/orders')
        .set('Cookie', cookie)
        .send({ fromCurrency: 'USD', toCurrency: 'EUR', amount: '5' });
    const setting = () => http().put(`/admin/settings/${KEY}`).set('Cookie', admin.cookie);

    // Off by default: an unverified user orders.
    await order().expect(201);
    const listed = await http().get('/admin/settings').set('Cookie', admin.cookie).expect(200);
    expect(listed.body).toContainEqual(
      expect.objectContaining({ key: KEY, value: false, default: false, application: 'web' }),
    );
    const bad = await setting().send({ value: 'yes' }).expect(400);
    expect(bad.body.message).toBe(`${KEY}: must be true or false`);
    await setting().send({ value: true }).expect(204);
    expect(await auditRows(app, { resourceId: KEY })).toEqual([
      expect.objectContaining({
        admin_id: admin.user.id,
        action: 'setting.changed',
        old_values: { value: false },
        new_values: { value: true },
        source: 'web',
      }),
    ]);

    const refused = await order().expect(403);
    expect(refused.body).toEqual(
      expect.objectContaining({
        statusCode: 403,
        code: 'email_not_verified',
        message: expect.stringMatching(/^Placing orders needs a verified email address/),
      }),
    );
    const orders = await http().get('/web/orders').set('Cookie', cookie).expect(200);
    expect(orders.body).toHaveLength(1);

    await http().post('/web/auth/verify-email').send({ token }).expect(204);
    await order().expect(201);
    await setting().send({ value: false }).expect(204);
  });
});
