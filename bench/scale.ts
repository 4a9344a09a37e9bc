/**
 * Sessions at scale (`npm run bench:scale`): validation latency, cached and uncached, with
 * 1,000 sessions and then with 1,000,000 (spread over 10,000 users and the three
 * contexts); what revoking all of one user's sessions touches; the purge of 500,000 ended
 * sessions under traffic; Redis memory per cached session and user.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createClient } from '@redis/client';
import { hash } from '@node-rs/argon2';
import pg from 'pg';

const POSTGRES = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/4';
const FULL_REDIS_PORT = 6392;
const SESSIONS = Number(process.env.SCALE_SESSIONS ?? 1_000_000);
const USERS = 10_000;
const SECONDS = Number(process.env.SCALE_SECONDS ?? 8);
const DATABASES = ['identity', 'web', 'admin', 'bot'];
const run = promisify(execFile);
const children: ChildProcess[] = [];

const token = () => randomBytes(32).toString('base64url');
const sessionId = (value: string) => createHash('sha256').update(value).digest('hex');

function env(port: number, redis: string): Record<string, string> {
  const variables: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    NODE_ENV: 'production',
    // The benchmarks send no mail.
    MAIL_ENABLED: 'false',
    HOST: '127.0.0.1',
    PORT: String(port),
    LOG_LEVEL: 'error',
    REDIS_URL: redis,
    DATABASE_MIGRATE: 'false',
    // The purge runs often here, so that it can be watched under traffic.
    SESSION_PURGE_INTERVAL_SECONDS: '3',
  };
  for (const name of DATABASES)
    variables[`DATABASE_${name.toUpperCase()}_URL`] = `${POSTGRES}/exchanger_${name}_scale`;
  return variables;
}

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let waited = 0; waited < 30_000; waited += 200) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error('not ready');
}

/** wrk, one thread: requests/s, p50 and p99 in ms. */
function wrk(url: string, headers: Record<string, string>, seconds = SECONDS) {
  const args = [
    '-t1',
    '-c16',
    `-d${seconds}s`,
    '--latency',
    ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    url,
  ];
  const output = execFileSync('wrk', args, { encoding: 'utf8' });
  const ms = (label: string) => {
    const [, value = '0', unit] = new RegExp(`${label}\\s+([\\d.]+)(us|ms|s)`).exec(output) ?? [];
    return Number(value) * (unit === 'us' ? 0.001 : unit === 's' ? 1000 : 1);
  };
  if (/Non-2xx/.test(output)) throw new Error(`failed requests: ${output}`);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(output)?.[1]),
    p50: ms('50%'),
    p99: ms('99%'),
  };
}

/** wrk in the background (asynchronously, so that this process can watch the purge meanwhile). */
async function wrkAsync(
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<string> {
  const args = [
    '-t1',
    '-c16',
    `-d${seconds}s`,
    '--latency',
    ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]),
    url,
  ];
  return (await run('wrk', args)).stdout;
}

async function main(): Promise<void> {
  execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
  const admin = new pg.Client({ connectionString: `${POSTGRES}/postgres` });
  await admin.connect();
  for (const name of DATABASES) {
    await admin.query(`DROP DATABASE IF EXISTS exchanger_${name}_scale WITH (FORCE)`);
    await admin.query(`CREATE DATABASE exchanger_${name}_scale`);
  }
  await admin.end();
  await run(process.execPath, ['dist/migrate.cli.js'], { env: env(0, REDIS) });
  const redis = createClient({ url: REDIS });
  await redis.connect();
  await redis.flushDb();

  const db = new pg.Client({ connectionString: `${POSTGRES}/exchanger_identity_scale` });
  await db.connect();
  // Users: one real password hash shared by all (hashing 10,000 would only take time).
  const passwordHash = await hash('scale password 1', {
    algorithm: 2,
    memoryCost: 19_456,
    timeCost: 2,
    parallelism: 1,
  });
  await db.query(
    `INSERT INTO users (email, password_hash, role) SELECT 'scale-' || n || '@example.test', $1, 'user' FROM generate_series(1, $2) AS n`,
    [passwordHash, USERS],
  );
  const { rows: someUsers } = await db.query<{ id: string }>(
    'SELECT id FROM users ORDER BY email LIMIT 1000',
  );
  // 1,000 sessions with known tokens, for the measurements.
  const tokens = someUsers.map(() => token());
  await db.query(
    `INSERT INTO sessions (id, user_id, application_context, expires_at)
     SELECT unnest($1::varchar[]), unnest($2::uuid[]), 'web', now() + interval '1 day'`,
    [tokens.map(sessionId), someUsers.map((user) => user.id)],
  );
  await db.query('ANALYZE sessions');

  await run('redis-server', [
    '--port',
    String(FULL_REDIS_PORT),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--maxmemory',
    '1',
    '--maxmemory-policy',
    'noeviction',
    '--daemonize',
    'yes',
  ]);
  for (const [port, redisUrl] of [
    [3501, REDIS],
    [3502, `redis://127.0.0.1:${FULL_REDIS_PORT}`],
  ] as const) {
    const child = spawn(process.execPath, ['dist/main.js'], {
      env: env(port, redisUrl),
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(child);
    await waitFor(() => fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok));
  }
  const cached = { cookie: `web_session=${tokens[0]}` };
  const missed = { cookie: `web_session=${tokens[1]}` };
  const measure = () => {
    wrk('http://127.0.0.1:3501/web/auth/me', cached, 3); // warm-up
    wrk('http://127.0.0.1:3502/web/auth/me', missed, 3);
    return {
      cached: wrk('http://127.0.0.1:3501/web/auth/me', cached),
      miss: wrk('http://127.0.0.1:3502/web/auth/me', missed),
    };
  };

  const small = measure();
  const count = async () =>
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions')).rows[0]?.n ?? 0;
  const smallCount = await count();

  // Grow to SESSIONS, spread over every user and the three contexts; ids are random hashes.
  const started = Date.now();
  for (let done = smallCount; done < SESSIONS; done += 100_000) {
    await db.query(
      `INSERT INTO sessions (id, user_id, application_context, expires_at, created_at, last_activity)
       SELECT encode(sha256(convert_to(gen_random_uuid()::text, 'UTF8')), 'hex'), u.ids[1 + n % $2],
              (ARRAY['web','admin','telegram'])[1 + n % 3], now() + interval '1 day', now(), now()
       FROM generate_series(1, $1) AS n
       CROSS JOIN (SELECT array_agg(id) AS ids FROM users) u`,
      [Math.min(100_000, SESSIONS - done), USERS],
    );
  }
  await db.query('VACUUM ANALYZE sessions');
  const seedSeconds = (Date.now() - started) / 1000;
  const large = measure();
  const largeCount = await count();

  // Revoking all of one user's sessions (every context): what the statement reads.
  const user = someUsers[0]?.id;
  const { rows: perUser } = await db.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM sessions WHERE user_id = $1',
    [user],
  );
  const { rows: plan } = await db.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)
     SELECT id, expires_at FROM sessions WHERE NOT revoked AND expires_at > now() AND user_id = $1 FOR UPDATE`,
    [user],
  );
  const planText = plan.map((row) => row['QUERY PLAN']).join('\n');

  // The purge under traffic: half a million sessions ended two days ago.
  const baseline = wrk('http://127.0.0.1:3502/web/auth/me', missed, 6);
  await db.query(
    `UPDATE sessions SET expires_at = now() - interval '2 days'
     WHERE id IN (SELECT id FROM sessions WHERE application_context <> 'web' LIMIT 500000)`,
  );
  const before = await count();
  const purgeStarted = Date.now();
  const during = wrkAsync('http://127.0.0.1:3502/web/auth/me', missed, 30);
  let purged = 0;
  while (Date.now() - purgeStarted < 30_000) {
    await sleep(500);
    purged = before - (await count());
    if (purged >= 500_000) break;
  }
  const purgeSeconds = (Date.now() - purgeStarted) / 1000;
  const duringOutput = await during;
  const duringP99 = /99%\s+([\d.]+)(us|ms|s)/.exec(duringOutput);
  const p99 =
    Number(duringP99?.[1]) * (duringP99?.[2] === 'us' ? 0.001 : duringP99?.[2] === 's' ? 1000 : 1);
  const duringRps = Number(/Requests\/sec:\s+([\d.]+)/.exec(duringOutput)?.[1]);

  // Redis memory of one cached session and one cached user.
  const sessionBytes = await redis.memoryUsage(
    `identity:session:web:${sessionId(tokens[0] ?? '')}`,
  );
  const userKeys = await redis.keys('identity:user:web:*'); // a benchmark, not production code
  const userBytes = userKeys[0] === undefined ? null : await redis.memoryUsage(userKeys[0]);
  await redis.close();
  await db.end();

  const row = (
    name: string,
    a: { rps: number; p50: number; p99: number },
    b: { rps: number; p50: number; p99: number },
  ) =>
    `| ${name} | ${Math.round(a.rps)} | ${a.p50.toFixed(2)} | ${a.p99.toFixed(2)} | ${Math.round(b.rps)} | ${b.p50.toFixed(2)} | ${b.p99.toFixed(2)} | ${(b.rps / a.rps).toFixed(2)} |`;
  const text = [
    `## ${new Date().toISOString().slice(0, 10)} — sessions at scale (\`npm run bench:scale\`)`,
    '',
    `${smallCount.toLocaleString('en')} sessions, then ${largeCount.toLocaleString('en')} (over ${USERS.toLocaleString('en')} users and three contexts; seeded in ${seedSeconds.toFixed(0)} s). wrk, 16 connections, ${SECONDS} s each; "miss" is an API whose Redis refuses writes, so each validation reads PostgreSQL.`,
    '',
    `| validation | req/s (${smallCount.toLocaleString('en')}) | p50 ms | p99 ms | req/s (${largeCount.toLocaleString('en')}) | p50 ms | p99 ms | ratio |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('cached', small.cached, large.cached),
    row('miss (one SELECT by primary key)', small.miss, large.miss),
    '',
    `Revoking all sessions of one user (${perUser[0]?.n} sessions) reads:`,
    '',
    ...planText.split('\n').map((line) => `    ${line}`),
    '',
    `Purge of 500,000 ended sessions by the running API (batches of 1,000): ${purged.toLocaleString('en')} deleted in ${purgeSeconds.toFixed(1)} s; uncached validations meanwhile ${Math.round(duringRps)} req/s, p99 ${p99.toFixed(2)} ms (before: ${Math.round(baseline.rps)} req/s, p99 ${baseline.p99.toFixed(2)} ms).`,
    '',
    `Redis memory (MEMORY USAGE): a cached session ${sessionBytes} bytes, a cached user with its permissions ${userBytes} bytes.`,
    '',
  ].join('\n');
  process.stdout.write(`${text}\n`);
  if (process.env.BENCH_NO_RECORD !== '1')
    appendFileSync(new URL('./RESULTS.md', import.meta.url), `${text}\n`);
}

let failed = false;
try {
  await main();
} catch (error) {
  console.error(error);
  failed = true;
} finally {
  for (const child of children) child.kill('SIGINT');
  await run('redis-cli', ['-p', String(FULL_REDIS_PORT), 'shutdown', 'nosave']).catch(
    () => undefined,
  );
  await sleep(1_000);
}
process.exit(failed ? 1 : 0);
