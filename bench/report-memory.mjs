/* global setInterval, clearInterval */
// npm run bench:report: generates a report of REPORT_ROWS orders (default 1,000,000) through
// the real AppModule and samples the process's RSS every 100 ms while it runs: memory must
// stay flat however many rows there are (rows stream in batches into 1 MiB chunks). Builds
// first; uses its own databases (exchanger_*_report_bench) and Redis database 5. Appends the
// figures, dated, to bench/RESULTS.md unless BENCH_NO_RECORD=1.
import { execFileSync } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import pg from 'pg';

const POSTGRES = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const ROWS = Number(process.env.REPORT_ROWS ?? 1_000_000);
const DATABASES = ['identity', 'web', 'admin', 'bot'];
const nameOf = (database) => `exchanger_${database}_report_bench`;
const MB = 1024 * 1024;

async function onServer(work) {
  const client = new pg.Client({ connectionString: `${POSTGRES}/postgres` });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

const urls = Object.fromEntries(
  DATABASES.map((database) => [
    `DATABASE_${database.toUpperCase()}_URL`,
    `${POSTGRES}/${nameOf(database)}`,
  ]),
);
const env = {
  NODE_ENV: 'production',
  // The benchmarks send no mail.
  MAIL_ENABLED: 'false',
  LOG_LEVEL: 'warn',
  REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/5',
  DATABASE_MIGRATE: 'false',
  ...urls,
};

await onServer(async (client) => {
  for (const database of DATABASES) {
    await client.query(`DROP DATABASE IF EXISTS ${nameOf(database)} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${nameOf(database)}`);
  }
});
execFileSync(process.execPath, ['dist/migrate.cli.js'], {
  env: { ...process.env, ...env },
  stdio: 'inherit',
});
const web = new pg.Client({ connectionString: urls.DATABASE_WEB_URL });
await web.connect();
const seeding = Date.now();
await web.query(
  `INSERT INTO orders (user_id, from_currency, to_currency, amount, exchange_rate, counter_amount, status, created_at, updated_at)
   SELECT gen_random_uuid(), 'USD', 'EUR', 100 + n % 1000, 0.9, (100 + n % 1000) * 0.9, 'completed',
          timestamptz '2020-01-01' + n * interval '1 second', timestamptz '2020-01-01'
   FROM generate_series(1, $1) AS n`,
  [ROWS],
);
await web.end();
console.log(`${ROWS} orders seeded in ${((Date.now() - seeding) / 1000).toFixed(1)} s`);

const { createApp } = await import('../dist/app.factory.js');
const { loadConfig } = await import('../dist/config/app-config.js');
const { ReportsService } = await import('../dist/admin/reports/reports.service.js');
const app = await createApp(loadConfig({ ...process.env, ...env }));
const admin = new pg.Client({ connectionString: urls.DATABASE_ADMIN_URL });
await admin.connect();
const [{ id }] = (
  await admin.query(
    `INSERT INTO reports (name, type, parameters, generated_by)
     VALUES ('bench', 'orders', $1, gen_random_uuid()) RETURNING id`,
    [{ from: '2020-01-01T00:00:00Z', to: '2100-01-01T00:00:00Z' }],
  )
).rows;

const samples = [];
const sample = () => samples.push(process.memoryUsage().rss);
sample();
const baseline = samples[0];
const sampler = setInterval(sample, 100);
const started = Date.now();
await app.get(ReportsService).generate(id);
clearInterval(sampler);
sample();
const seconds = (Date.now() - started) / 1000;
const report = (await admin.query('SELECT row_count, size_bytes FROM reports WHERE id = $1', [id]))
  .rows[0];
await admin.end();
await app.close();

const quarter = (part) =>
  samples[Math.min(samples.length - 1, Math.floor((samples.length * part) / 4))];
const peak = Math.max(...samples);
const lines = [
  `rows ${report.row_count}, CSV ${(report.size_bytes / MB).toFixed(1)} MiB, generated in ${seconds.toFixed(1)} s`,
  `RSS (MiB): before ${(baseline / MB).toFixed(0)}, at 25% ${(quarter(1) / MB).toFixed(0)}, 50% ${(quarter(2) / MB).toFixed(0)}, 75% ${(quarter(3) / MB).toFixed(0)}, end ${(samples.at(-1) / MB).toFixed(0)}, peak ${(peak / MB).toFixed(0)} (+${((peak - baseline) / MB).toFixed(0)}), ${samples.length} samples`,
];
console.log(lines.join('\n'));
if (process.env.BENCH_NO_RECORD !== '1') {
  appendFileSync(
    'bench/RESULTS.md',
    `\n## ${new Date().toISOString().slice(0, 10)} — report memory (\`npm run bench:report\`)\n\n${lines.join('  \n')}\n`,
  );
}
await onServer(async (client) => {
  for (const database of DATABASES) {
    await client.query(`DROP DATABASE IF EXISTS ${nameOf(database)} WITH (FORCE)`);
  }
});
process.exit(0);
