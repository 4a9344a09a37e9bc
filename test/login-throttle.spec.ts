import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { MetricsRecorder } from '../src/admin/metrics/metrics-recorder.js';
import pg from 'pg';
import { AppContext, Database } from '../src/common/app-context.js';
import { Permission } from '../src/common/permissions.js';
import { staffWith } from './support/admin.js';
import { type OwnDatabases, ownDatabases } from './support/own-databases.js';
import { startTestApp } from './support/test-app.js';
import { cookieFor, PASSWORD, registerAdmin, registerUser, uniqueEmail } from './support/users.js';

/**
 * Every call gives a fresh address (the app trusts X-Forwarded-For here), so no test
 * inherits another's failures: random picks from one /24 did collide.
 */
let addresses = 0;
const address = () => `198.51.${100 + Math.floor(++addresses / 250)}.${addresses % 250}`;
const METRICS_TOKEN = 'login-throttle-metrics-0123456789';

describe('login throttling', () => {
  let app: NestFastifyApplication;
  let databases: OwnDatabases;

  // Databases of its own: the alerts it reads judge the latest metrics sample, which another
  // file's admin process would otherwise take from the shared admin database.
  beforeAll(async () => {
    databases = await ownDatabases('login_throttle');
    // Samples only when the test asks: no periodic one between the slowed logins and its own.
    const admin = new pg.Client({ connectionString: databases.urls[Database.Admin] });
    await admin.connect();
    await admin.query(
      `INSERT INTO admin_settings (key, value, description) VALUES ('metrics.sampleIntervalSeconds', '3600', '')`,
    );
    await admin.end();
    app = await startTestApp({
      ...databases.env,
      TRUST_PROXY: '1',
      LOGIN_ACCOUNT_MAX_FAILURES: '3',
      LOGIN_LOCKOUT_SECONDS: '1',
      LOGIN_LOCKOUT_MAX_SECONDS: '2',
      LOGIN_IP_MAX_FAILURES: '10',
      LOGIN_SLOWDOWN_AFTER_FAILURES: '6',
      LOGIN_SLOWDOWN_SECONDS: '1',
      LOGIN_SLOWDOWN_MAX_SECONDS: '2',
      LOGIN_ACCOUNT_MAX_SUCCESSES: '5',
      METRICS_TOKEN,
    });
  });
  afterAll(async () => {
    await app.close();
    await databases.drop();
  });

  const login = (ip: string, email: string, password: string) =>
    request(app.getHttpServer())
      .post('/web/auth/login')
      .set('X-Forwarded-For', ip)
      .send({ email, password });

  it('locks an account after repeated failures, even for the right password, with Retry-After', async () => {
    const user = await registerUser(app);
    const ip = address();
    for (let attempt = 0; attempt < 3; attempt++)
      await login(ip, user.email, 'wrong password').expect(401);
    const locked = await login(address(), user.email, PASSWORD).expect(429);
    expect(locked.headers['retry-after']).toBe('1');
    expect(locked.body).toEqual(
      expect.objectContaining({ statusCode: 429, message: expect.stringMatching(/Too many/) }),
    );
    await sleep(1_100);
    await login(ip, user.email, PASSWORD).expect(200);
  });

  it('doubles the lock with each further failure, up to the maximum', async () => {
    const user = await registerUser(app);
    const ip = address();
    for (let attempt = 0; attempt < 3; attempt++)
      await login(ip, user.email, 'wrong password').expect(401);
    await sleep(1_100);
    await login(ip, user.email, 'wrong password').expect(401); // fourth failure: 2 s
    expect((await login(ip, user.email, PASSWORD).expect(429)).headers['retry-after']).toBe('2');
    await sleep(2_100);
    // The fifth would double it to 4 s; the maximum (LOGIN_LOCKOUT_MAX_SECONDS) is 2.
    await login(ip, user.email, 'wrong password').expect(401);
    expect((await login(ip, user.email, PASSWORD).expect(429)).headers['retry-after']).toBe('2');
  });

  it('forgets an account’s failures after a successful login', async () => {
    const user = await registerUser(app);
    const ip = address();
    for (let round = 0; round < 3; round++) {
      await login(ip, user.email, 'wrong password').expect(401);
      await login(ip, user.email, 'wrong password').expect(401);
      await login(ip, user.email, PASSWORD).expect(200);
    }
  });

  it('limits failures per address, whichever accounts they try', async () => {
    const ip = address();
    for (let attempt = 0; attempt < 10; attempt++)
      await login(ip, uniqueEmail(), 'wrong password').expect(401);
    const refused = await login(ip, uniqueEmail(), 'wrong password').expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    await login(address(), uniqueEmail(), 'wrong password').expect(401);
  });

  it('lets an office behind one address in at the default settings: 20 people register, each mistypes twice, then signs in', async () => {
    // The settings every deployment starts with, not this file's tight ones.
    const defaults = await startTestApp({
      ...databases.env,
      TRUST_PROXY: '1',
      REGISTRATION_IP_MAX: undefined,
    });
    const ip = address();
    const from = (path: string, body: object) =>
      request(defaults.getHttpServer()).post(path).set('X-Forwarded-For', ip).send(body);
    try {
      for (let person = 0; person < 20; person++) {
        const email = uniqueEmail();
        await from('/web/auth/register', { email, password: PASSWORD }).expect(201);
        await from('/web/auth/login', { email, password: 'mistyped' }).expect(401);
        await from('/web/auth/login', { email, password: 'mistyped again' }).expect(401);
        await from('/web/auth/login', { email, password: PASSWORD }).expect(200);
      }
    } finally {
      await defaults.close();
    }
  });

  it('treats unknown emails like known ones (no account enumeration through the lock)', async () => {
    const ip = address();
    const ghost = uniqueEmail('ghost');
    for (let attempt = 0; attempt < 3; attempt++)
      await login(ip, ghost, 'wrong password').expect(401);
    await login(ip, ghost, 'wrong password').expect(429);
  });

  it('gives parallel attempts on one account no more verdicts than the limit (60 wrong, 1 right)', async () => {
    const user = await registerUser(app);
    const ip = address();
    const answers = await Promise.all([
      ...Array.from({ length: 60 }, () => login(ip, user.email, 'wrong password')),
      login(ip, user.email, PASSWORD),
    ]);
    const verdicts = answers.filter((answer) => answer.status !== 429);
    expect(verdicts.length).toBeLessThanOrEqual(3);
    expect(answers.every((answer) => [200, 401, 429].includes(answer.status))).toBe(true);
  });

  it('locks an account per context: web failures do not lock the admin panel', async () => {
    const admin = await registerAdmin(app);
    for (let attempt = 0; attempt < 3; attempt++)
      await login(address(), admin.email, 'wrong password').expect(401);
    await login(address(), admin.email, PASSWORD).expect(429);
    await request(app.getHttpServer())
      .post('/admin/auth/login')
      .set('X-Forwarded-For', address())
      .send({ email: admin.email, password: PASSWORD })
      .expect(200);
  });

  it('locks a staff account only for the address that failed: an outsider cannot lock staff out', async () => {
    const admin = await registerAdmin(app);
    const staffLogin = (ip: string, password: string) =>
      request(app.getHttpServer())
        .post('/admin/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email: admin.email, password });
    const outsider = address();
    for (let attempt = 0; attempt < 3; attempt++)
      await staffLogin(outsider, 'wrong password').expect(401);
    await staffLogin(outsider, PASSWORD).expect(429);
    await staffLogin(address(), PASSWORD).expect(200);
  });

  it('slows a staff account guessed from many addresses (429 + Retry-After, counted, alerted) without locking it for a new address', async () => {
    const admin = await registerAdmin(app);
    const staffLogin = (ip: string, password: string) =>
      request(app.getHttpServer())
        .post('/admin/auth/login')
        .set('X-Forwarded-For', ip)
        .send({ email: admin.email, password });
    // Two failures from each of three addresses: none reaches the lock of its address (3),
    // the sixth across addresses starts the slowdown (1 s).
    for (let round = 0; round < 3; round++) {
      const ip = address();
      await staffLogin(ip, 'wrong password').expect(401);
      await staffLogin(ip, 'wrong password').expect(401);
    }
    const tooSoon = await staffLogin(address(), PASSWORD).expect(429);
    expect(tooSoon.headers['retry-after']).toBe('1');
    expect(tooSoon.body.message).toMatch(/Too many/);
    await sleep(1_100);
    await staffLogin(address(), 'wrong password').expect(401); // the seventh doubles it
    expect((await staffLogin(address(), PASSWORD).expect(429)).headers['retry-after']).toBe('2');
    await sleep(2_100);
    await staffLogin(address(), PASSWORD).expect(200);

    const metrics = await request(app.getHttpServer())
      .get('/metrics')
      .set('Authorization', `Bearer ${METRICS_TOKEN}`)
      .expect(200);
    expect(metrics.text).toMatch(/logins_total\{context="admin",outcome="slowed"\} [2-9]/);
    expect(await app.get(MetricsRecorder).sampleIfDue(true)).toBe(true);
    const viewer = await staffWith(app, [Permission.MetricsRead]);
    const alerts = await request(app.getHttpServer())
      .get('/admin/metrics/alerts')
      .set('Cookie', viewer.cookie)
      .expect(200);
    expect(alerts.body).toContainEqual(
      expect.objectContaining({
        name: 'staff logins slowed',
        value: expect.any(Number),
        breached: true,
      }),
    );
  });

  it('bounds successful logins of an account (429 + Retry-After), also in parallel, and no other account', async () => {
    const user = await registerUser(app);
    for (let round = 0; round < 5; round++)
      await login(address(), user.email, PASSWORD).expect(200);
    const refused = await login(address(), user.email, PASSWORD).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body.message).toBe('Too many logins to this account; try again later');
    await login(address(), (await registerUser(app)).email, PASSWORD).expect(200);

    // Racing past the ceiling: with 4 of 5 taken, 3 at once all find room, and one gets it.
    const racing = await registerUser(app);
    for (let round = 0; round < 4; round++)
      await login(address(), racing.email, PASSWORD).expect(200);
    const answers = await Promise.all(
      Array.from({ length: 3 }, () => login(address(), racing.email, PASSWORD)),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 429, 429]);
  });

  it('counts wrong current passwords like failed logins, and ends the session at the limit', async () => {
    const user = await registerUser(app);
    const loggedIn = await login(address(), user.email, PASSWORD).expect(200);
    const token = /web_session=([^;]+)/.exec(String(loggedIn.headers['set-cookie']))?.[1] ?? '';
    const change = () =>
      request(app.getHttpServer())
        .post('/web/auth/password')
        .set('X-Forwarded-For', address())
        .set('Cookie', cookieFor(AppContext.Web, token))
        .send({ currentPassword: 'not the password', newPassword: 'a new password 1' });
    expect((await change().expect(400)).body.message).toBe('currentPassword is incorrect');
    await change().expect(400);
    expect((await change().expect(401)).body.message).toMatch(/session has ended/);
    await request(app.getHttpServer())
      .get('/web/auth/me')
      .set('Cookie', cookieFor(AppContext.Web, token))
      .expect(401);
    await login(address(), user.email, PASSWORD).expect(429);
  });

  it('groups IPv6 clients by their /64', async () => {
    for (let host = 1; host <= 10; host++)
      await login(`2001:db8:77:1::${host}`, uniqueEmail(), 'wrong password').expect(401);
    await login('2001:db8:77:1:ffff:ffff:ffff:ffff', uniqueEmail(), 'wrong password').expect(429);
    await login('2001:db8:77:2::1', uniqueEmail(), 'wrong password').expect(401);
  });

  describe('without Redis (one process)', () => {
    let memory: NestFastifyApplication;
    beforeAll(async () => {
      memory = await startTestApp({
        REDIS_URL: '',
        TRUST_PROXY: '1',
        LOGIN_ACCOUNT_MAX_FAILURES: '3',
        LOGIN_IP_MAX_FAILURES: '10',
      });
    });
    afterAll(() => memory.close());

    it('gives parallel attempts no more verdicts than the limit either', async () => {
      const user = await registerUser(memory);
      const answers = await Promise.all(
        Array.from({ length: 30 }, () =>
          request(memory.getHttpServer())
            .post('/web/auth/login')
            .set('X-Forwarded-For', address())
            .send({ email: user.email, password: 'wrong password' }),
        ),
      );
      expect(answers.filter((answer) => answer.status === 401).length).toBe(3);
      expect(answers.filter((answer) => answer.status === 429).length).toBe(27);
    });
  });
});

describe('registration throttling', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await startTestApp({
      TRUST_PROXY: '1',
      REGISTRATION_IP_MAX: '3',
      REGISTRATION_IP_WINDOW_SECONDS: '60',
    });
  });
  afterAll(() => app.close());

  const register = (ip: string) =>
    request(app.getHttpServer())
      .post('/web/auth/register')
      .set('X-Forwarded-For', ip)
      .send({ email: uniqueEmail(), password: PASSWORD });

  it('limits registrations per address, each costing a hash, with Retry-After', async () => {
    const ip = address();
    for (let attempt = 0; attempt < 3; attempt++) await register(ip).expect(201);
    const refused = await register(ip).expect(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
    expect(refused.body.message).toMatch(/Too many registrations/);
    await register(address()).expect(201);
  });

  it('counts a registration of a taken address too (it confirms the address exists)', async () => {
    const ip = address();
    const taken = { email: uniqueEmail() };
    await register(address()).expect(201);
    await request(app.getHttpServer())
      .post('/web/auth/register')
      .set('X-Forwarded-For', address())
      .send({ email: taken.email, password: PASSWORD })
      .expect(201);
    const again = () =>
      request(app.getHttpServer())
        .post('/web/auth/register')
        .set('X-Forwarded-For', ip)
        .send({ email: taken.email, password: PASSWORD });
    for (let attempt = 0; attempt < 3; attempt++) await again().expect(409);
    await again().expect(429);
  });
});
