import { SessionService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AppContext, Database } from '../src/common/app-context.js';
import { MemoryMap } from '../src/redis/index.js';
import { pauseAfter } from './support/paused-statement.js';
import { sqlDuring } from './support/sql-counter.js';
import { startTestApp } from './support/test-app.js';
import { logIn, registerUser } from './support/users.js';

const CLIENT = { ipAddress: '127.0.0.1', userAgent: 'test' };

describe('the in-memory cache (no REDIS_URL)', () => {
  describe('the map', () => {
    it('forgets entries when they expire', async () => {
      const map = new MemoryMap();
      map.set('a', 'value', 30);
      expect(map.get('a')).toBe('value');
      expect(map.ttl('a')).toBeGreaterThan(0);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(map.get('a')).toBeUndefined();
      expect(map.ttl('a')).toBe(0);
    });

    it('removes an entry set with no time left', () => {
      const map = new MemoryMap();
      map.set('a', 'value', 60_000);
      map.set('a', 'value', 0);
      expect(map.get('a')).toBeUndefined();
    });
  });

  describe('in the application', () => {
    let app: NestFastifyApplication;
    beforeAll(async () => {
      app = await startTestApp({ REDIS_URL: '' });
    });
    afterAll(() => app.close());

    it('caches sessions, and refuses a revoked one on the next request', async () => {
      const token = await logIn(app, AppContext.Web, await registerUser(app));
      const me = () =>
        request(app.getHttpServer()).get('/web/auth/me').set('Authorization', `Bearer ${token}`);
      await me().expect(200);
      expect(await sqlDuring(() => me().expect(200))).toEqual([]);
      await request(app.getHttpServer())
        .post('/web/auth/logout')
        .set('Authorization', `Bearer ${token}`)
        .expect(204);
      await me().expect(401);
      expect((await app.get(SessionService).metrics()).cacheHits).toBeGreaterThan(0);
    });

    it('keeps the Redis semantics: a validation that read before a revoke cannot put the session back', async () => {
      const sessions = app.get(SessionService);
      const user = await registerUser(app);
      // Created inside a transaction, so not cached yet: its first validation reads PostgreSQL.
      const { token, session } = await app
        .get<DataSource>(getDataSourceToken(Database.Identity))
        .transaction((manager) => sessions.create(AppContext.Web, user.id, CLIENT, { manager }));
      const read = pauseAfter('session_find_active');
      const racing = sessions.validate(AppContext.Web, token);
      await read.answered;
      read.restore();
      await sessions.revoke(AppContext.Web, session.id);
      read.release();
      await racing;
      expect(await sqlDuring(() => sessions.validate(AppContext.Web, token))).toEqual([]);
      expect(await sessions.validate(AppContext.Web, token)).toBeUndefined();
    });
  });
});
