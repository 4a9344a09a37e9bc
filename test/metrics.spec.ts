import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { MetricsRecorder } from '../src/admin/metrics/metrics-recorder.js';
import { Permission } from '../src/common/permissions.js';
import { database, http, type Staff, staff, staffWith } from './support/admin.js';
import { type OwnDatabases, ownDatabases } from './support/own-databases.js';
import { startTestApp } from './support/test-app.js';
import { logIn, registerUser } from './support/users.js';
import { AppContext, Database } from '../src/common/app-context.js';

const TOKEN = 'metrics-token-0123456789abcdef';

describe('metrics', () => {
  let app: NestFastifyApplication;
  let admin: Staff;

  beforeAll(async () => {
    app = await startTestApp({ METRICS_TOKEN: TOKEN });
    admin = await staff(app);
  });
  afterAll(() => app.close());

  it('refuses /metrics without its token, or with a wrong one (401)', async () => {
    await http(app).get('/metrics').expect(401);
    await http(app)
      .get('/metrics')
      .set('Authorization', 'Bearer wrong-token-0123456789')
      .expect(401);
    await http(app).get('/metrics').set('Authorization', TOKEN).expect(401);
  });

  it('serves Prometheus metrics with the token: HTTP, sessions, Redis, pools, logins, orders', async () => {
    const user = await registerUser(app, 'metrics');
    await logIn(app, AppContext.Web, user);
    await http(app).post('/web/auth/login').send({ email: user.email, password: 'wrong password' });
    const response = await http(app)
      .get('/metrics')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    const text = response.text;
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/web\/auth\/login",status="200"\} \d+/,
    );
    expect(text).toMatch(/session_validations_total\{result="(hit|miss|postgres_fallback)"\}/);
    expect(text).toMatch(/session_invalidations_pending \d+/);
    expect(text).toMatch(/redis_command_duration_seconds_count\{outcome="ok"\} [1-9]/);
    expect(text).toMatch(/db_pool_connections\{database="identity",state="total"\} \d+/);
    expect(text).toMatch(/logins_total\{context="web",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/logins_total\{context="web",outcome="failed"\} [1-9]/);
    expect(text).toMatch(/# TYPE orders gauge/);
    expect(text).toMatch(/process_resident_memory_bytes/);
  });

  it('records samples into system_metrics and serves series and alert verdicts to staff with metrics:read', async () => {
    expect(await app.get(MetricsRecorder).sampleIfDue(true)).toBe(true);
    const series = await http(app)
      .get('/admin/metrics/sessions.active')
      .set('Cookie', admin.cookie)
      .expect(200);
    expect(series.body).toContainEqual(
      expect.objectContaining({ tags: { context: 'admin' }, value: expect.any(Number) }),
    );
    // Oldest first: the sample just taken, while this admin is logged in, is the last one.
    const adminPoints = series.body.filter(
      (p: { tags: { context: string } }) => p.tags.context === 'admin',
    );
    expect(adminPoints.at(-1).value).toBeGreaterThan(0);
    const keys = await http(app)
      .get('/admin/metrics/redis.keys')
      .set('Cookie', admin.cookie)
      .expect(200);
    expect(
      keys.body.map((point: { tags: { namespace: string } }) => point.tags.namespace),
    ).toContain('identity:session');

    const rules = await http(app)
      .post('/admin/configurations/alert-rules')
      .set('Cookie', admin.cookie)
      .send({
        value: {
          rules: [
            {
              name: 'admins online',
              metric: 'sessions.active',
              tags: { context: 'admin' },
              op: '>=',
              threshold: 1,
            },
            {
              name: 'never',
              metric: 'sessions.active',
              op: '<',
              threshold: 0,
              severity: 'critical',
            },
          ],
        },
      })
      .expect(201);
    await http(app)
      .post(`/admin/configurations/alert-rules/versions/${rules.body.version}/activate`)
      .set('Cookie', admin.cookie)
      .expect(200);
    const alerts = await http(app)
      .get('/admin/metrics/alerts')
      .set('Cookie', admin.cookie)
      .expect(200);
    type Alert = { name: string; breached: boolean; builtIn: boolean };
    expect(
      (alerts.body as Alert[])
        .filter((alert) => !alert.builtIn)
        .map((alert) => [alert.name, alert.breached]),
    ).toEqual([
      ['admins online', true],
      ['never', false],
    ]);
    // Built in besides the configured rules: staff logins slowed down across addresses.
    expect(alerts.body).toContainEqual(
      expect.objectContaining({
        name: 'staff logins slowed',
        metric: 'logins.slowed',
        builtIn: true,
      }),
    );

    const other = await staffWith(app, [Permission.UsersManage]);
    for (const path of ['/admin/metrics/alerts', '/admin/metrics/sessions.active']) {
      const refused = await http(app).get(path).set('Cookie', other.cookie).expect(403);
      expect(refused.body.message).toBe(`Missing permission: ${Permission.MetricsRead}`);
    }
  });
});

/**
 * Two application instances on databases of their own, as two admin processes would be:
 * each has its own pools, so only PostgreSQL can keep them from sampling twice.
 */
describe('metrics sampled by two processes', () => {
  let databases: OwnDatabases;
  let apps: NestFastifyApplication[];

  beforeAll(async () => {
    databases = await ownDatabases('metrics');
    apps = [await startTestApp(databases.env), await startTestApp(databases.env)];
  }, 60_000);
  afterAll(async () => {
    for (const app of apps) await app.close();
    await databases.drop();
  });

  it('takes one sample per interval however many times it is asked, by callers in either at once', async () => {
    const admin = database(apps[0]!, Database.Admin);
    for (let round = 0; round < 5; round++) {
      await admin.query('DELETE FROM system_metrics');
      // Calls within one process share its sample in progress, so they answer alike.
      const asked = await Promise.all(
        apps.map((app) => Promise.all([1, 2, 3].map(() => app.get(MetricsRecorder).sampleIfDue()))),
      );
      expect(asked.map((answers) => answers.join()).sort()).toEqual([
        'false,false,false',
        'true,true,true',
      ]);
      const [samples]: Array<{ count: number }> = await admin.query(
        `SELECT count(DISTINCT recorded_at)::int AS count FROM system_metrics
         WHERE metric_name = 'sessions.active'`,
      );
      expect(samples?.count).toBe(1);
      // Asked again within the interval: none is due.
      const again = await Promise.all(apps.map((app) => app.get(MetricsRecorder).sampleIfDue()));
      expect(again).toEqual([false, false]);
    }
  });
});

describe('metrics without a token', () => {
  it('is off (404) without METRICS_TOKEN', async () => {
    const off = await startTestApp();
    try {
      await http(off).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(404);
    } finally {
      await off.close();
    }
  });
});
