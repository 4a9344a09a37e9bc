import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppContext, Database } from '../src/common/app-context.js';
import { DATABASE_URL_VARIABLE } from '../src/config/app-config.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { startTestApp } from './support/test-app.js';
import { testDatabaseUrl } from './support/test-env.js';
import { logIn, PASSWORD, registerUser, uniqueEmail } from './support/users.js';

describe('PostgreSQL outages', () => {
  let proxy: TcpProxy;
  let app: NestFastifyApplication;
  let urls: Record<string, string>;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    proxy = await TcpProxy.start(testDatabaseUrl(Database.Identity));
    // Every database through the proxy; short bounds so that the test is quick.
    urls = Object.fromEntries(
      Object.values(Database).map((database) => [
        DATABASE_URL_VARIABLE[database],
        proxy.url(testDatabaseUrl(database)),
      ]),
    );
    app = await startTestApp({
      ...urls,
      DATABASE_CONNECT_TIMEOUT_MS: '500',
      DATABASE_STATEMENT_TIMEOUT_MS: '1000',
    });
  });
  afterAll(async () => {
    await app.close();
    await proxy.stop();
  });
  const afterThis: Array<() => Promise<void>> = [];
  afterEach(async () => {
    proxy.restore();
    for (const close of afterThis.splice(0)) await close();
  });

  async function expect503(path: string, body?: object) {
    const started = Date.now();
    const response = await (
      body === undefined ? http().get(path) : http().post(path).send(body)
    ).expect(503);
    // Bounded by the client-side query timeout (statement timeout + 1 s = 2 s here), twice
    // at most: a failed transaction also waits for its ROLLBACK.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(response.body).toEqual({
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'Service temporarily unavailable',
      requestId: expect.any(String),
    });
  }

  it.each([
    ['cut', () => proxy.cut()],
    ['stalled', () => proxy.freeze()],
  ])(
    'when %s: cached sessions keep working, writes get 503 quickly, and it recovers by itself',
    async (_, outage) => {
      const user = await registerUser(app);
      const token = await logIn(app, AppContext.Web, user);
      await http().get('/web/auth/me').set('Authorization', `Bearer ${token}`).expect(200);

      outage();
      await http().get('/web/auth/me').set('Authorization', `Bearer ${token}`).expect(200);
      await expect503('/web/auth/login', { email: user.email, password: PASSWORD });
      await expect503('/web/auth/register', { email: uniqueEmail(), password: PASSWORD });
      const ready = await http().get('/health/ready').expect(503);
      expect(ready.body.details['database:identity'].status).toBe('down');

      proxy.restore();
      await http()
        .post('/web/auth/login')
        .send({ email: user.email, password: PASSWORD })
        .expect(200);
      await http().get('/health/ready').expect(200);
    },
    30_000,
  );

  it('counts no login the outage answered 503 against the account or the address: everyone signs straight back in', async () => {
    // Low limits, and an address of its own (other files fail logins from 127.0.0.1 too).
    const strict = await startTestApp({
      ...urls,
      DATABASE_CONNECT_TIMEOUT_MS: '500',
      DATABASE_STATEMENT_TIMEOUT_MS: '1000',
      LOGIN_ACCOUNT_MAX_FAILURES: '3',
      LOGIN_IP_MAX_FAILURES: '10',
      TRUST_PROXY: '1',
    });
    afterThis.push(() => strict.close());
    const address = `2001:db8:${(Date.now() % 0xffff).toString(16)}::1`;
    const users = await Promise.all([registerUser(app), registerUser(app), registerUser(app)]);
    const login = (email: string) =>
      request(strict.getHttpServer())
        .post('/web/auth/login')
        .set('X-Forwarded-For', address)
        .send({ email, password: PASSWORD });
    proxy.cut();
    // Five rounds: past the account's lock (3) and, all from one address, past its limit (10).
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(users.map((user) => login(user.email)));
      statuses.push(...answers.map((answer) => answer.status));
    }
    expect(statuses).toEqual(Array.from({ length: 15 }, () => 503));

    proxy.restore();
    const after = await Promise.all(users.map((user) => login(user.email)));
    expect(after.map((answer) => answer.status)).toEqual([200, 200, 200]);
  }, 60_000);
});
