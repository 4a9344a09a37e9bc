import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { startTestApp } from './support/test-app.js';
import { PASSWORD, registerUser, uniqueEmail } from './support/users.js';

/**
 * Every call gives a fresh address (the app trusts X-Forwarded-For here), so no test
 * inherits another's failures: random picks from one /24 did collide.
 */
let addresses = 0;
const address = () => `198.51.${100 + Math.floor(++addresses / 250)}.${addresses % 250}`;

describe('login throttling', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startTestApp({
      TRUST_PROXY: 'true',
      LOGIN_ACCOUNT_MAX_FAILURES: '3',
      LOGIN_LOCKOUT_SECONDS: '1',
      LOGIN_LOCKOUT_MAX_SECONDS: '4',
      LOGIN_IP_MAX_FAILURES: '10',
    });
  });
  afterAll(() => app.close());

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

  it('never blocks honest users behind one address: successful logins and registrations', async () => {
    const ip = address();
    for (let round = 0; round < 30; round++) {
      const email = uniqueEmail();
      await request(app.getHttpServer())
        .post('/web/auth/register')
        .set('X-Forwarded-For', ip)
        .send({ email, password: PASSWORD })
        .expect(201);
      await login(ip, email, PASSWORD).expect(200);
    }
  });

  it('treats unknown emails like known ones (no account enumeration through the lock)', async () => {
    const ip = address();
    const ghost = uniqueEmail('ghost');
    for (let attempt = 0; attempt < 3; attempt++)
      await login(ip, ghost, 'wrong password').expect(401);
    await login(ip, ghost, 'wrong password').expect(429);
  });
});
