import { sessionIdOf, SessionService, UsersService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { AppContext, Database } from '../src/common/app-context.js';
import { Permission } from '../src/common/permissions.js';
import { RedisConnection } from '../src/redis/index.js';
import { eventually } from './support/eventually.js';
import { pauseAfter } from './support/paused-statement.js';
import { RedisClusterSetup } from './support/redis-cluster.js';
import { sqlDuring } from './support/sql-counter.js';
import { startTestApp } from './support/test-app.js';
import { type OwnDatabases, ownDatabases } from './support/own-databases.js';
import { logIn, registerAdmin, registerUser, type TestUser } from './support/users.js';

const CLIENT = { ipAddress: '127.0.0.1', userAgent: 'test' };

/** The session store's core cases on a real Redis Cluster, chosen by configuration alone. */
describe('Redis Cluster', () => {
  let cluster: RedisClusterSetup;
  let app: NestFastifyApplication;
  let databases: OwnDatabases;
  let user: TestUser;
  const sessionKey = (token: string) => `identity:session:web:${sessionIdOf(token)}`;
  const me = (token: string) =>
    request(app.getHttpServer()).get('/web/auth/me').set('Authorization', `Bearer ${token}`);
  const cached = async (token: string) =>
    (await sqlDuring(() => me(token).expect(200))).length === 0;

  beforeAll(async () => {
    cluster = await RedisClusterSetup.start();
    // Databases of its own: their outboxes are drained into this Redis only.
    databases = await ownDatabases('cluster');
    app = await startTestApp({
      ...databases.env,
      REDIS_URL: '',
      REDIS_CLUSTER_NODES: cluster.nodes,
      REDIS_COMMAND_TIMEOUT_MS: '200',
      CACHE_INVALIDATION_POLL_MS: '200',
    });
    user = await registerUser(app, 'cluster');
  }, 60_000);
  afterAll(async () => {
    await app.close();
    await databases.drop();
    await cluster.stop();
  });

  it('validates a cached session with two reads and no SQL, its keys spread over the shards', async () => {
    const token = await logIn(app, AppContext.Web, user);
    await eventually(() => cached(token), 15_000, 100);
    const counters = app.get(RedisConnection).counters;
    const before = counters.commands;
    expect(await sqlDuring(() => me(token).expect(200))).toEqual([]);
    expect(counters.commands - before).toBe(2); // the session, then its user
    expect(await cluster.read(sessionKey(token))).toContain(user.id);
    expect(await cluster.read(`identity:user:web:${user.id}`)).toContain(user.email);
  });

  it('does not let a validation that read the row before a revoke put the session back', async () => {
    const sessions = app.get(SessionService);
    const identity = app.get<DataSource>(getDataSourceToken(Database.Identity));
    for (let round = 0; round < 10; round++) {
      // Created in a transaction, so not cached: its first validation reads PostgreSQL.
      const { token, session } = await identity.transaction((manager) =>
        sessions.create(AppContext.Web, user.id, CLIENT, { manager }),
      );
      const read = pauseAfter('session_find_active');
      const racing = sessions.validate(AppContext.Web, token);
      await read.answered;
      read.restore();
      await sessions.revoke(AppContext.Web, session.id);
      read.release();
      await racing; // started before the revoke: it may still be answered
      expect(await cluster.read(sessionKey(token))).toBe('x');
      expect(await sessions.validate(AppContext.Web, token)).toBeUndefined();
    }
  });

  it('tells every context of a user change at once, whatever shard holds each key', async () => {
    const sessions = app.get(SessionService);
    const contexts = [AppContext.Web, AppContext.Admin, AppContext.Telegram];
    // An admin: the admin context caches only staff.
    const admin = await registerAdmin(app);
    const userKey = (context: AppContext) => `identity:user:${context}:${admin.id}`;
    const web = await logIn(app, AppContext.Web, admin);
    // The user cached in every context first: a tombstone must replace each entry.
    for (const context of contexts) {
      const { token } = await sessions.create(context, admin.id, CLIENT);
      await eventually(
        async () => {
          await sessions.validate(context, token);
          return (await cluster.read(userKey(context)))?.includes(admin.email) ?? false;
        },
        15_000,
        100,
      );
    }
    await app.get(UsersService).grant(admin.id, AppContext.Web, Permission.AnalyticsRead, null);
    // Read as soon as the change returns, well within a tombstone's life.
    const entries = await Promise.all(contexts.map((context) => cluster.read(userKey(context))));
    expect(entries).toEqual(['x', 'x', 'x']);
    const after = await me(web).expect(200);
    expect(after.body.permissions).toContain(Permission.AnalyticsRead);
  });

  it('serves from PostgreSQL while a master is down, keeps revocations made meanwhile, and caches again after', async () => {
    const kept = await logIn(app, AppContext.Web, user);
    const revoked = await logIn(app, AppContext.Web, user);
    await eventually(() => cached(kept), 15_000, 100);
    const down = await cluster.masterOf(sessionKey(revoked));
    cluster.kill(down);
    // Every validation is answered, from PostgreSQL where the cache cannot be trusted.
    for (let index = 0; index < 10; index++) await me(kept).expect(200);
    await request(app.getHttpServer())
      .post('/web/auth/logout')
      .set('Authorization', `Bearer ${revoked}`)
      .expect(204);
    await me(revoked).expect(401);
    await cluster.restart(down);
    // The revocation reaches the restarted master from the outbox, and caching resumes.
    await eventually(async () => (await cluster.read(sessionKey(revoked))) === 'x', 20_000, 200);
    await me(revoked).expect(401);
    await eventually(() => cached(kept), 20_000, 200);
  });
});
