/* global setInterval, clearInterval */
// Run as `node --expose-gc test/support/report-memory-probe.mjs` with a test environment and
// REPORT_PERIODS, a JSON list of [from, to] pairs. Starts the built application, generates an
// orders report for each period in turn and prints one JSON line per report: its row count and
// how much memory stayed reachable while it was generated (the heap after a full collection,
// plus buffers, sampled every 25 ms) beyond what was reachable before it started. Garbage is
// collected away, so what is left is what generating holds: flat if rows stream, growing with
// the row count if anything keeps them.
import { randomUUID } from 'node:crypto';

const gc = globalThis.gc;
if (typeof gc !== 'function') throw new Error('run with --expose-gc');

/** A module of the built application (`npm test` builds it first). */
const built = (path) => import(new URL(`../../dist/${path}`, import.meta.url).href);
const { createApp } = await built('app.factory.js');
const { loadConfig } = await built('config/app-config.js');
const { ReportsService } = await built('admin/reports/reports.service.js');
const { Database } = await built('common/app-context.js');
const { getDataSourceToken } = await import('@nestjs/typeorm');

const app = await createApp(loadConfig(process.env));
const admin = app.get(getDataSourceToken(Database.Admin));
const reports = app.get(ReportsService);

function reachable() {
  gc();
  const { heapUsed, external } = process.memoryUsage();
  return heapUsed + external;
}

for (const [from, to] of JSON.parse(process.env.REPORT_PERIODS ?? '[]')) {
  const [{ id }] = await admin.query(
    `INSERT INTO reports (name, type, parameters, generated_by)
     VALUES ('memory probe', 'orders', $1, $2) RETURNING id`,
    [{ from, to }, randomUUID()],
  );
  const before = reachable();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, reachable())), 25);
  await reports.generate(id);
  clearInterval(sampler);
  const [{ row_count: rows }] = await admin.query(
    'SELECT row_count::int FROM reports WHERE id = $1',
    [id],
  );
  console.log(JSON.stringify({ rows, heldBytes: peak - before }));
}
await app.close();
process.exit(0);
