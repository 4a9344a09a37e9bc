import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createClient } from '@redis/client';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppContext } from '../src/common/app-context.js';
import { Permission } from '../src/common/permissions.js';
import { auditRows, http, type Staff, staff } from './support/admin.js';
import { eventually } from './support/eventually.js';
import { startTestApp } from './support/test-app.js';
import { TEST_REDIS_URL } from './support/test-env.js';
import { cookieFor, logIn, registerUser, type TestUser } from './support/users.js';

/**
 * A grant ends this long after it is made: past the tombstone the grant leaves on the cached
 * user (3 s), so that the user is cached again, with the grant, before it ends.
 */
const TERM_MS = 7_000;

describe('admin: permissions granted for a time', () => {
  let app: NestFastifyApplication;
  let other: NestFastifyApplication;
  let admin: Staff;

  beforeAll(async () => {
    app = await startTestApp();
    // A second process of the same deployment: it shares only the databases and Redis.
    other = await startTestApp();
    admin = await staff(app);
  });
  afterAll(async () => {
    await other.close();
    await app.close();
  });

  async function customer(): Promise<{ user: TestUser; cookie: string }> {
    const user = await registerUser(app, 'grant');
    return { user, cookie: cookieFor(AppContext.Web, await logIn(app, AppContext.Web, user)) };
  }

  function grantPath(user: TestUser, context: string, permission: string): string {
    return `/admin/users/${user.id}/permissions/${context}/${permission}`;
  }

  /** The audit rows of grants to the user, once `count` have arrived (either process may relay them). */
  async function grantRows(user: TestUser, count: number) {
    let rows: Awaited<ReturnType<typeof auditRows>> = [];
    await eventually(async () => {
      rows = await auditRows(app, { action: 'user.permission.granted', resourceId: user.id });
      return rows.length >= count;
    });
    return rows;
  }

  function analytics(on: NestFastifyApplication, cookie: string) {
    return http(on).get('/web/analytics/daily').set('Cookie', cookie);
  }

  it('works at once in every process, shows its end in the user detail, is audited once, and stops at that instant everywhere though the user was cached', async () => {
    const { user, cookie } = await customer();
    const expiresAt = new Date(Date.now() + TERM_MS);
    await http(app)
      .put(grantPath(user, AppContext.Web, Permission.AnalyticsRead))
      .set('Cookie', admin.cookie)
      .send({ expiresAt: expiresAt.toISOString() })
      .expect(204);

    // Both processes answer; once the grant's tombstone is gone, the user is cached (Redis)
    // with the grant, and that entry lives no longer than the grant.
    const redis = createClient({ url: TEST_REDIS_URL });
    await redis.connect();
    try {
      const userKey = `identity:user:${AppContext.Web}:${user.id}`;
      await eventually(async () => {
        await analytics(app, cookie).expect(200);
        await analytics(other, cookie).expect(200);
        return (await redis.get(userKey))?.includes(Permission.AnalyticsRead) === true;
      });
      const ttl = await redis.pTTL(userKey);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(expiresAt.getTime() - Date.now() + 20);
    } finally {
      await redis.quit();
    }
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now());

    const detail = await http(app)
      .get(`/admin/users/${user.id}`)
      .set('Cookie', admin.cookie)
      .expect(200);
    expect(detail.body.permissions.web).toContain(Permission.AnalyticsRead);
    expect(detail.body.permissionsExpiring.web).toEqual({
      [Permission.AnalyticsRead]: expiresAt.toISOString(),
    });

    const rows = await grantRows(user, 1);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.old_values).toEqual({
      context: 'web',
      permission: Permission.AnalyticsRead,
      held: false,
      expiresAt: null,
    });
    expect(rows[0]?.new_values).toEqual({
      context: 'web',
      permission: Permission.AnalyticsRead,
      held: true,
      expiresAt: expiresAt.toISOString(),
    });

    await sleep(Math.max(0, expiresAt.getTime() - Date.now()) + 20);
    const [here, there] = await Promise.all([analytics(app, cookie), analytics(other, cookie)]);
    expect(here.status).toBe(403);
    expect(there.status).toBe(403);
    expect(here.body.message).toContain(Permission.AnalyticsRead);
    // The session itself lives on: only the permission ended.
    await http(app).get('/web/auth/me').set('Cookie', cookie).expect(200);
    const after = await http(app)
      .get(`/admin/users/${user.id}`)
      .set('Cookie', admin.cookie)
      .expect(200);
    expect(after.body.permissions.web).not.toContain(Permission.AnalyticsRead);
    expect(after.body.permissionsExpiring.web).toEqual({});
  });

  it('makes a held grant for a time permanent when granted again without expiresAt, audited with both terms', async () => {
    const { user, cookie } = await customer();
    const path = grantPath(user, AppContext.Web, Permission.AnalyticsRead);
    const expiresAt = new Date(Date.now() + TERM_MS).toISOString();
    await http(app).put(path).set('Cookie', admin.cookie).send({ expiresAt }).expect(204);
    await analytics(app, cookie).expect(200);
    await http(app).put(path).set('Cookie', admin.cookie).expect(204);
    const rows = await grantRows(user, 2);
    expect(rows).toHaveLength(2);
    expect(rows.map((row) => [row.old_values?.expiresAt, row.new_values?.expiresAt])).toEqual(
      expect.arrayContaining([
        [null, expiresAt],
        [expiresAt, null],
      ]),
    );
    await sleep(TERM_MS + 50);
    await analytics(app, cookie).expect(200);
    await analytics(other, cookie).expect(200);
  });

  it.each([
    ['in the past', new Date(Date.now() - 1_000).toISOString(), 'expiresAt must be in the future'],
    ['malformed', 'tomorrow', 'expiresAt must be an ISO 8601 date-time'],
  ])('refuses an expiresAt %s (400 naming it), granting nothing', async (_, expiresAt, message) => {
    const { user, cookie } = await customer();
    const response = await http(app)
      .put(grantPath(user, AppContext.Web, Permission.AnalyticsRead))
      .set('Cookie', admin.cookie)
      .send({ expiresAt })
      .expect(400);
    expect(response.body.message).toContain(message);
    await analytics(app, cookie).expect(403);
  });
});
