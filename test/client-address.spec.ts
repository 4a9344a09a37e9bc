import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppContext } from '../src/common/app-context.js';
import { loadConfig } from '../src/config/app-config.js';
import { startTestApp } from './support/test-app.js';
import { testEnv } from './support/test-env.js';
import { cookieFor, PASSWORD, registerUser } from './support/users.js';

describe('the client address', () => {
  describe('TRUST_PROXY', () => {
    const trust = (value: string) => loadConfig(testEnv({ TRUST_PROXY: value })).http.trustProxy;

    it('takes nobody, a hop count, or the proxies’ addresses', () => {
      expect(trust('false')).toBe(false);
      expect(trust('1')).toBe(1);
      expect(trust('10.0.0.0/8, 192.168.1.10,::1')).toEqual(['10.0.0.0/8', '192.168.1.10', '::1']);
    });

    it.each(['true', 'yes', '0', '10.0.0.300', 'proxy.example.com'])(
      'refuses %j with one line saying what it takes',
      (value) => {
        expect(() => trust(value)).toThrow(
          /^TRUST_PROXY: must be false, a number of proxy hops, or the proxies' addresses .*true would believe any X-Forwarded-For/,
        );
      },
    );
  });

  /** Logs in with the given X-Forwarded-For; returns the address the session recorded. */
  async function recordedAddress(
    app: NestFastifyApplication,
    forwardedFor: string,
  ): Promise<string | null> {
    const user = await registerUser(app);
    const login = await request(app.getHttpServer())
      .post('/web/auth/login')
      .set('X-Forwarded-For', forwardedFor)
      .send({ email: user.email, password: PASSWORD })
      .expect(200);
    const token = /web_session=([^;]+)/.exec(String(login.headers['set-cookie']))?.[1] ?? '';
    const sessions = await request(app.getHttpServer())
      .get('/web/auth/sessions')
      .set('Cookie', cookieFor(AppContext.Web, token))
      .expect(200);
    const current = (sessions.body as Array<{ current: boolean; ipAddress: string | null }>).find(
      (session) => session.current,
    );
    return current?.ipAddress ?? null;
  }

  describe('behind one proxy hop', () => {
    let app: NestFastifyApplication;
    beforeAll(async () => {
      app = await startTestApp({ TRUST_PROXY: '1' });
    });
    afterAll(() => app.close());

    it('takes the address the proxy saw, not one the client wrote before it', async () => {
      expect(await recordedAddress(app, '6.6.6.6, 203.0.113.9')).toBe('203.0.113.9');
    });

    it('never stores what is not an address (and answers, never a 500)', async () => {
      expect(await recordedAddress(app, 'not-an-address')).toBeNull();
      expect(await recordedAddress(app, "1.2.3.4'); DROP TABLE users;--")).toBeNull();
    });
  });

  describe('without a proxy', () => {
    let app: NestFastifyApplication;
    beforeAll(async () => {
      app = await startTestApp();
    });
    afterAll(() => app.close());

    it('ignores X-Forwarded-For', async () => {
      expect(await recordedAddress(app, '203.0.113.9')).toMatch(/^(127\.0\.0\.1|::1)$/);
    });
  });
});
