import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Response } from 'supertest';
import { ReportsService } from '../src/admin/reports/reports.service.js';
import { Database } from '../src/common/app-context.js';
import { Permission } from '../src/common/permissions.js';
import { auditRows, database, http, type Staff, staff, staffWith } from './support/admin.js';
import { eventually } from './support/eventually.js';
import { startTestApp } from './support/test-app.js';
import { testEnv } from './support/test-env.js';
import { PASSWORD, registerUser } from './support/users.js';

/** Collects a response body as raw bytes (supertest would parse or decode it). */
function raw(response: Response, done: (error: Error | null, body: Buffer) => void) {
  const chunks: Buffer[] = [];
  response.on('data', (chunk: Buffer) => chunks.push(chunk));
  response.on('end', () => done(null, Buffer.concat(chunks)));
}

describe('admin: reports', () => {
  let app: NestFastifyApplication;
  let admin: Staff;

  beforeAll(async () => {
    app = await startTestApp();
    admin = await staff(app);
  });
  afterAll(() => app.close());

  /** `count` orders created on one day of a year no other test uses. */
  async function ordersOn(day: Date, count: number): Promise<void> {
    await database(app, Database.Web).query(
      `INSERT INTO orders (user_id, from_currency, to_currency, amount, exchange_rate, counter_amount, status, created_at, updated_at)
       SELECT gen_random_uuid(), 'USD', 'EUR', 100 + n, 0.9, (100 + n) * 0.9, 'completed',
              $1::timestamptz + n * interval '1 millisecond', $1::timestamptz
       FROM generate_series(1, $2) AS n`,
      [day, count],
    );
  }

  async function ready(id: string): Promise<Record<string, unknown>> {
    let report: Record<string, unknown> = {};
    await eventually(
      async () => {
        report = (
          await http(app).get(`/admin/reports/${id}`).set('Cookie', admin.cookie).expect(200)
        ).body;
        return report.status === 'ready' || report.status === 'failed';
      },
      60_000,
      100,
    );
    return report;
  }

  const download = (id: string) =>
    http(app)
      .get(`/admin/reports/${id}/download`)
      .set('Cookie', admin.cookie)
      .buffer(true)
      .parse(raw);

  it('generates an orders report in the background and streams it as RFC 4180 CSV with its row count, size and checksum, auditing each download', async () => {
    const day = new Date(Date.UTC(2001, 0, 1 + Math.floor(Math.random() * 300)));
    await ordersOn(day, 2_500);
    const requested = await http(app)
      .post('/admin/reports')
      .set('Cookie', admin.cookie)
      .send({
        type: 'orders',
        from: day.toISOString(),
        to: new Date(day.getTime() + 86_400_000).toISOString(),
      })
      .expect(202);
    expect(requested.body).toEqual(
      expect.objectContaining({ id: expect.any(String), type: 'orders' }),
    );
    const report = await ready(requested.body.id);
    expect(report).toEqual(expect.objectContaining({ status: 'ready', rowCount: 2_500 }));

    const file = await download(requested.body.id).expect(200);
    expect(file.headers['content-type']).toBe('text/csv; charset=utf-8');
    const body = file.body as Buffer;
    expect(body.length).toBe(report.sizeBytes);
    expect(createHash('sha256').update(body).digest('hex')).toBe(report.checksum);
    const lines = body.toString('utf8').split('\r\n');
    expect(lines[0]).toBe(
      'id,user_id,from_currency,to_currency,amount,exchange_rate,counter_amount,status,created_at,updated_at',
    );
    expect(lines).toHaveLength(2_500 + 2); // header, rows, and the empty string after the last CRLF
    expect(lines[1]).toMatch(
      /^[0-9a-f-]{36},[0-9a-f-]{36},USD,EUR,101\.00000000,0\.90000000,90\.90000000,completed,2001-/,
    );

    await download(requested.body.id).expect(200);
    const audit = await auditRows(app, { resourceId: requested.body.id });
    expect(audit.map((row) => [row.action, row.admin_id])).toEqual([
      ['report.requested', admin.user.id],
      ['report.downloaded', admin.user.id],
      ['report.downloaded', admin.user.id],
    ]);
    expect(audit[1]?.new_values).toEqual({
      type: 'orders',
      rows: 2_500,
      checksum: report.checksum,
    });
  });

  it('neutralises cells a spreadsheet would run as a formula, and quotes what needs quoting', async () => {
    const user = await registerUser(app, 'formula');
    const from = new Date(Date.now() - 1_000);
    for (const agent of [
      '=HYPERLINK("http://evil.test","x")',
      '+1+2',
      '-3',
      '@SUM(A1)',
      'plain, with comma',
    ]) {
      await http(app)
        .post('/web/auth/login')
        .set('User-Agent', agent)
        .send({ email: user.email, password: PASSWORD })
        .expect(200);
    }
    const requested = await http(app)
      .post('/admin/reports')
      .set('Cookie', admin.cookie)
      .send({
        type: 'sessions',
        from: from.toISOString(),
        to: new Date(Date.now() + 1_000).toISOString(),
      })
      .expect(202);
    expect((await ready(requested.body.id)).status).toBe('ready');
    const csv = ((await download(requested.body.id).expect(200)).body as Buffer).toString('utf8');
    for (const field of [
      `"'=HYPERLINK(""http://evil.test"",""x"")"`,
      "'+1+2",
      "'-3",
      "'@SUM(A1)",
      '"plain, with comma"',
    ]) {
      expect(csv).toContain(`,${field}\r\n`);
    }
    expect(csv).not.toMatch(/,[=+@-][^\r\n]*\r\n/);
  });

  it('holds no more memory generating a report of 200,000 rows than one of 20,000', async () => {
    // Measured in a process of its own that collects garbage before every sample, so what is
    // counted is what generating keeps reachable, not this process's heap or its timing.
    const small = new Date(Date.UTC(2002, 0, 1 + Math.floor(Math.random() * 150)));
    const large = new Date(small.getTime() + 160 * 86_400_000);
    await ordersOn(small, 20_000);
    await ordersOn(large, 200_000);
    const dayOf = (day: Date) => [
      day.toISOString(),
      new Date(day.getTime() + 86_400_000).toISOString(),
    ];
    const probe = spawn(process.execPath, ['--expose-gc', 'test/support/report-memory-probe.mjs'], {
      env: {
        ...testEnv(),
        PATH: process.env.PATH,
        REPORT_PERIODS: JSON.stringify([dayOf(small), dayOf(large)]),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    probe.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const [code] = (await once(probe, 'exit')) as [number | null];
    expect(code).toBe(0);
    const [smallRun, largeRun] = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { rows: number; heldBytes: number });
    expect([smallRun?.rows, largeRun?.rows]).toEqual([20_000, 200_000]);
    // Ten times the rows (about 36 MiB of CSV against 3.6): what is held must not grow with
    // them. It is about one 1 MiB chunk and a batch of rows either way.
    expect(largeRun!.heldBytes).toBeLessThan(smallRun!.heldBytes + 4 * 1024 * 1024);
    expect(largeRun!.heldBytes).toBeLessThan(16 * 1024 * 1024);
  }, 180_000);

  it('fails a report visibly when generating it fails on its last try', async () => {
    // A report whose generation cannot work (its type has no source), taken on its last try.
    const rows: Array<{ id: string }> = await database(app, Database.Admin).query(
      `INSERT INTO reports (name, type, parameters, generated_by)
       VALUES ('broken', 'nonsense', '{"from": "2003-01-01", "to": "2003-01-02"}', $1) RETURNING id`,
      [admin.user.id],
    );
    const id = rows[0]?.id as string;
    await expect(app.get(ReportsService).generate(id, 2)).rejects.toThrow();
    const failed = await http(app)
      .get(`/admin/reports/${id}`)
      .set('Cookie', admin.cookie)
      .expect(200);
    expect(failed.body).toEqual(
      expect.objectContaining({ status: 'failed', error: expect.any(String), attempts: 1 }),
    );
    await download(id).expect(409);
  });

  it('refuses bad requests, unknown reports, and staff without reports:manage', async () => {
    await http(app)
      .post('/admin/reports')
      .set('Cookie', admin.cookie)
      .send({ type: 'secrets', from: '2001-01-01', to: '2001-01-02' })
      .expect(400);
    await http(app)
      .post('/admin/reports')
      .set('Cookie', admin.cookie)
      .send({ type: 'users', from: '2001-01-02', to: '2001-01-01' })
      .expect(400);
    await http(app)
      .get('/admin/reports/00000000-0000-0000-0000-000000000000')
      .set('Cookie', admin.cookie)
      .expect(404);
    const other = await staffWith(app, [Permission.UsersManage]);
    const refused = await http(app)
      .post('/admin/reports')
      .set('Cookie', other.cookie)
      .send({ type: 'users', from: '2001-01-01', to: '2001-01-02' })
      .expect(403);
    expect(refused.body.message).toBe(`Missing permission: ${Permission.ReportsManage}`);
  });

  it('refuses a period longer than reports.maxRangeDays (400 naming it)', async () => {
    const refused = await http(app)
      .post('/admin/reports')
      .set('Cookie', admin.cookie)
      .send({ type: 'orders', from: '2001-01-01', to: '2002-01-03' })
      .expect(400);
    expect(refused.body.message).toBe('A report may cover at most 366 days (reports.maxRangeDays)');
    await http(app)
      .post('/admin/reports')
      .set('Cookie', admin.cookie)
      .send({ type: 'orders', from: '2001-01-01', to: '2002-01-02' })
      .expect(202);
  });

  it('lets one staff member have at most reports.maxRunningPerStaff reports queued or running, even asking at once (429), and not others', async () => {
    const busy = await staffWith(app, [Permission.ReportsManage]);
    // Two that never finish (no job behind them): one place is left.
    await database(app, Database.Admin).query(
      `INSERT INTO reports (name, type, parameters, generated_by, status)
       VALUES ('held', 'orders', '{}', $1, 'queued'), ('held', 'orders', '{}', $1, 'running')`,
      [busy.user.id],
    );
    const ask = (cookie: string) =>
      http(app)
        .post('/admin/reports')
        .set('Cookie', cookie)
        .send({ type: 'orders', from: '2001-02-01', to: '2001-02-02' });
    const answers = await Promise.all([ask(busy.cookie), ask(busy.cookie), ask(busy.cookie)]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([202, 429, 429]);
    const refused = answers.find((answer) => answer.status === 429)!;
    expect(refused.body.message).toMatch(/reports\.maxRunningPerStaff/);
    const rows: Array<{ count: number }> = await database(app, Database.Admin).query(
      'SELECT count(*)::int AS count FROM reports WHERE generated_by = $1',
      [busy.user.id],
    );
    expect(rows[0]?.count).toBe(3);
    await ask(admin.cookie).expect(202);
  });

  it('deletes a report’s content after reports.contentRetentionHours, keeping its row, and says so on download (410)', async () => {
    const requested = await http(app)
      .post('/admin/reports')
      .set('Cookie', admin.cookie)
      .send({ type: 'orders', from: '2001-03-01', to: '2001-03-02' })
      .expect(202);
    const id = requested.body.id as string;
    await ready(id);
    const admin_ = database(app, Database.Admin);
    await admin_.query(
      `UPDATE reports SET created_at = now() - interval '71 hours' WHERE id = $1`,
      [id],
    );
    await app.get(ReportsService).purgeExpired();
    await download(id).expect(200);
    await admin_.query(
      `UPDATE reports SET created_at = now() - interval '73 hours' WHERE id = $1`,
      [id],
    );
    await app.get(ReportsService).purgeExpired();
    const gone = await download(id).expect(410);
    expect(JSON.parse((gone.body as Buffer).toString('utf8')).message).toMatch(
      /reports\.contentRetentionHours/,
    );
    const shown = await http(app)
      .get(`/admin/reports/${id}`)
      .set('Cookie', admin.cookie)
      .expect(200);
    expect(shown.body.status).toBe('purged');
    const chunks: Array<{ count: number }> = await admin_.query(
      'SELECT count(*)::int AS count FROM report_chunks WHERE report_id = $1',
      [id],
    );
    expect(chunks[0]?.count).toBe(0);
  });
});

describe('admin: reports of people need step-up', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startTestApp({ ADMIN_STEP_UP_SECONDS: '2' });
  });
  afterAll(() => app.close());

  it('needs a recent password to request or download a users or sessions report, not an orders one', async () => {
    const admin = await staff(app);
    const ask = (type: string) =>
      http(app)
        .post('/admin/reports')
        .set('Cookie', admin.cookie)
        .send({ type, from: '2001-04-01', to: '2001-04-02' });
    const users = (await ask('users').expect(202)).body.id as string;
    const orders = (await ask('orders').expect(202)).body.id as string;
    await eventually(async () => {
      const rows: Array<{ count: number }> = await database(app, Database.Admin).query(
        `SELECT count(*)::int AS count FROM reports WHERE id IN ($1, $2) AND status = 'ready'`,
        [users, orders],
      );
      return rows[0]?.count === 2;
    }, 30_000);
    await sleep(2_500);
    for (const refused of [
      ask('users'),
      ask('sessions'),
      http(app).get(`/admin/reports/${users}/download`).set('Cookie', admin.cookie),
    ]) {
      expect((await refused.expect(403)).body.code).toBe('step_up_required');
    }
    await ask('orders').expect(202);
    await http(app)
      .get(`/admin/reports/${orders}/download`)
      .set('Cookie', admin.cookie)
      .expect(200);
    const downloads = await auditRows(app, { resourceId: users, action: 'report.downloaded' });
    expect(downloads).toEqual([]);
    await http(app)
      .post('/admin/auth/confirm')
      .set('Cookie', admin.cookie)
      .send({ password: PASSWORD })
      .expect(200);
    await http(app).get(`/admin/reports/${users}/download`).set('Cookie', admin.cookie).expect(200);
  });
});
