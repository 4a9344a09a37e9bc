import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { SETTINGS_REFRESH_MS } from '../src/admin/settings/admin-settings.js';
import { Database } from '../src/common/app-context.js';
import { Permission } from '../src/common/permissions.js';
import { auditRows, database, http, type Staff, staff, staffWith } from './support/admin.js';
import { eventually } from './support/eventually.js';
import { startApiProcess, waitUntilReady } from './support/api-process.js';
import { startTestApp } from './support/test-app.js';
import { testEnv } from './support/test-env.js';

describe('admin: rates, settings and configurations', () => {
  let app: NestFastifyApplication;
  let admin: Staff;

  beforeAll(async () => {
    app = await startTestApp();
    admin = await staff(app);
  });
  afterAll(() => app.close());

  // A pair no other test file sets.
  const FROM = 'PLN';
  const TO = 'UAH';

  it('sets a rate through the web application; the next quote uses it, the history lists it, the audit row comes from the web outbox', async () => {
    const set = await http(app)
      .put(`/admin/rates/${FROM}/${TO}`)
      .set('Cookie', admin.cookie)
      .send({ rate: '9.5' })
      .expect(200);
    expect(set.body).toEqual(expect.objectContaining({ from: FROM, to: TO, rate: '9.50000000' }));
    const quote = await http(app).get(`/web/rates/${FROM}/${TO}`).expect(200);
    expect(quote.body.rate).toBe('9.50000000');
    await http(app)
      .put(`/admin/rates/${FROM}/${TO}`)
      .set('Cookie', admin.cookie)
      .send({ rate: '9.6' })
      .expect(200);
    expect((await http(app).get(`/web/rates/${FROM}/${TO}`).expect(200)).body.rate).toBe(
      '9.60000000',
    );

    const history = await http(app)
      .get(`/admin/rates/${FROM}/${TO}/history`)
      .query({ limit: 1 })
      .set('Cookie', admin.cookie)
      .expect(200);
    expect(history.body.items.map((rate: { rate: string }) => rate.rate)).toEqual(['9.60000000']);
    const older = await http(app)
      .get(`/admin/rates/${FROM}/${TO}/history`)
      .query({ limit: 1, cursor: history.body.nextCursor })
      .set('Cookie', admin.cookie)
      .expect(200);
    expect(older.body.items.map((rate: { rate: string }) => rate.rate)).toEqual(['9.50000000']);

    const rows = await auditRows(app, { resourceId: `${FROM}/${TO}` });
    expect(rows.map((row) => [row.action, row.source, row.new_values?.rate])).toEqual([
      ['rate.set', Database.Web, '9.50000000'],
      ['rate.set', Database.Web, '9.60000000'],
    ]);
    expect(rows[1]?.old_values?.rate).toBe('9.50000000');
  });

  it('refuses a rate whose round trip returns 1 or more, a malformed one, and a validity that ends before it starts', async () => {
    await http(app)
      .put(`/admin/rates/${TO}/${FROM}`)
      .set('Cookie', admin.cookie)
      .send({ rate: '0.2' })
      .expect(409);
    await http(app)
      .put(`/admin/rates/${TO}/${FROM}`)
      .set('Cookie', admin.cookie)
      .send({ rate: 0.1 })
      .expect(400);
    const ended = await http(app)
      .put(`/admin/rates/${TO}/${FROM}`)
      .set('Cookie', admin.cookie)
      .send({ rate: '0.1', validFrom: '2030-01-02T00:00:00Z', validUntil: '2030-01-01T00:00:00Z' })
      .expect(400);
    expect(ended.body.message).toMatch(/validUntil/);
    await http(app)
      .put('/admin/rates/USD/XXX')
      .set('Cookie', admin.cookie)
      .send({ rate: '1' })
      .expect(400);
  });

  it('keeps rates within the active rate-bounds configuration', async () => {
    const created = await http(app)
      .post('/admin/configurations/rate-bounds')
      .set('Cookie', admin.cookie)
      .send({ value: { pairs: { [`${FROM}/${TO}`]: { min: '9', max: '10' } } } })
      .expect(201);
    await http(app)
      .post(`/admin/configurations/rate-bounds/versions/${created.body.version}/activate`)
      .set('Cookie', admin.cookie)
      .expect(200);
    const refused = await http(app)
      .put(`/admin/rates/${FROM}/${TO}`)
      .set('Cookie', admin.cookie)
      .send({ rate: '95' })
      .expect(409);
    expect(refused.body.message).toMatch(/outside its bounds 9–10/);
    await http(app)
      .put(`/admin/rates/${FROM}/${TO}`)
      .set('Cookie', admin.cookie)
      .send({ rate: '9.7' })
      .expect(200);
  });

  it('versions configurations: validated on save, one active at a time, the previous kept for rollback', async () => {
    const save = (value: unknown) =>
      http(app)
        .post('/admin/configurations/alert-rules')
        .set('Cookie', admin.cookie)
        .send({ value });
    const invalid = await save({
      rules: [{ name: 'x', metric: 'm', op: '=>', threshold: 1 }],
    }).expect(400);
    expect(invalid.body.message).toMatch(/^alert-rules at rules\.0\.op: /);
    const first = await save({
      rules: [{ name: 'a', metric: 'sessions.active', op: '>', threshold: 1e9 }],
    }).expect(201);
    const second = await save({ rules: [] }).expect(201);
    expect(second.body.version).toBe(first.body.version + 1);
    const activate = (version: number) =>
      http(app)
        .post(`/admin/configurations/alert-rules/versions/${version}/activate`)
        .set('Cookie', admin.cookie);
    await activate(second.body.version).expect(200);
    await activate(first.body.version).expect(200);
    const versions = await http(app)
      .get('/admin/configurations/alert-rules')
      .set('Cookie', admin.cookie)
      .expect(200);
    const active = versions.body.filter((version: { active: boolean }) => version.active);
    expect(active.map((version: { version: number }) => version.version)).toEqual([
      first.body.version,
    ]);
    expect(versions.body.length).toBeGreaterThanOrEqual(2);
    await activate(999_999).expect(404);
    await http(app).get('/admin/configurations/nope').set('Cookie', admin.cookie).expect(404);
  });

  it('lists typed settings and refuses a bad value with 400 naming the key and the problem', async () => {
    const list = await http(app).get('/admin/settings').set('Cookie', admin.cookie).expect(200);
    expect(list.body.map((setting: { key: string }) => setting.key)).toEqual(
      expect.arrayContaining([
        'stepUp.windowSeconds',
        'reports.retentionDays',
        'metrics.sampleIntervalSeconds',
      ]),
    );
    expect(list.body[0]).toEqual(
      expect.objectContaining({
        value: expect.anything(),
        default: expect.anything(),
        description: expect.any(String),
        schema: expect.any(Object),
      }),
    );
    const bad = await http(app)
      .put('/admin/settings/metrics.retentionDays')
      .set('Cookie', admin.cookie)
      .send({ value: 0 })
      .expect(400);
    expect(bad.body.message).toBe('metrics.retentionDays: must be a whole number from 1 to 365');
    await http(app)
      .put('/admin/settings/metrics.retentionDays')
      .set('Cookie', admin.cookie)
      .send({ value: 'x' })
      .expect(400);
    const unknown = await http(app)
      .put('/admin/settings/no.such')
      .set('Cookie', admin.cookie)
      .send({ value: 1 })
      .expect(404);
    expect(unknown.body.message).toBe('No setting named no.such');
  });

  it(`applies a setting changed in one process in another within ${SETTINGS_REFRESH_MS / 1000} s`, async () => {
    const other = await startApiProcess(testEnv({ APP_CONTEXTS: 'admin' }));
    try {
      await waitUntilReady(other);
      const read = async () => {
        const response = await fetch(`http://127.0.0.1:${other.port}/admin/settings`, {
          headers: { authorization: `Bearer ${admin.token}` },
        });
        const list = (await response.json()) as Array<{ key: string; value: unknown }>;
        return list.find((setting) => setting.key === 'metrics.retentionDays')?.value;
      };
      const value = 40 + Math.floor(Math.random() * 300);
      expect(await read()).not.toBe(value);
      const startedAt = Date.now();
      await http(app)
        .put('/admin/settings/metrics.retentionDays')
        .set('Cookie', admin.cookie)
        .send({ value })
        .expect(204);
      await eventually(async () => (await read()) === value, SETTINGS_REFRESH_MS + 2_000, 100);
      expect(Date.now() - startedAt).toBeLessThan(SETTINGS_REFRESH_MS + 1_000);
      const rows = await auditRows(app, {
        action: 'setting.changed',
        resourceId: 'metrics.retentionDays',
      });
      expect(rows.at(-1)?.new_values).toEqual({ value });
    } finally {
      other.child.kill('SIGTERM');
      await other.exited;
    }
  }, 60_000);

  it('refuses staff without the specific permission (403 naming it)', async () => {
    const other = await staffWith(app, [Permission.UsersManage]);
    for (const [call, permission] of [
      [http(app).put(`/admin/rates/${FROM}/${TO}`).send({ rate: '9.8' }), Permission.RatesManage],
      [http(app).get(`/admin/rates/${FROM}/${TO}/history`), Permission.RatesManage],
      [http(app).get('/admin/settings'), Permission.SettingsManage],
      [
        http(app).put('/admin/settings/metrics.retentionDays').send({ value: 3 }),
        Permission.SettingsManage,
      ],
      [http(app).get('/admin/configurations/alert-rules'), Permission.SettingsManage],
      [
        http(app)
          .post('/admin/configurations/alert-rules')
          .send({ value: { rules: [] } }),
        Permission.SettingsManage,
      ],
    ] as const) {
      const response = await call.set('Cookie', other.cookie).expect(403);
      expect(response.body.message).toBe(`Missing permission: ${permission}`);
    }
    const rows: Array<{ count: number }> = await database(app, Database.Web).query(
      `SELECT count(*)::int AS count FROM exchange_rates WHERE from_currency = $1 AND rate = 9.8`,
      [FROM],
    );
    expect(rows[0]?.count).toBe(0);
  });
});
