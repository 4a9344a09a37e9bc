/**
 * Several API processes on one PostgreSQL and one Redis, driven with steady mixed traffic
 * (validations, order reads, logins, logouts, logout-all, password and permission changes,
 * orders), while Redis and PostgreSQL are cut off and brought back (each through a TCP proxy).
 *
 *   npm run bench:load                       # the default phases below
 *   LOAD_PHASES=steady:60 npm run bench:load # several processes, no fault
 *
 * It reports, per phase: requests, status codes, p50/p99 latency, and what must stay 0:
 * requests answered with a session revoked before they started, sessions or orders lost,
 * permission changes not seen by another process on the next request; and after the run,
 * customers who could not sign in again (their orders are then not judged, not "lost").
 *
 * Its customers are no humans: all of them come from one address and each logs in several
 * times a second, so the processes it starts get limits of their own (BENCH_LIMITS below):
 * failed logins per address, registrations per address and successful logins per account
 * far above the product's defaults. Every other setting is the product's.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { createClient } from '@redis/client';
import pg from 'pg';
import { TcpProxy } from '../test/support/tcp-proxy.ts';

const PROCESSES = Number(process.env.LOAD_PROCESSES ?? 2);
const USERS = Number(process.env.LOAD_USERS ?? 24);
const PHASES = (
  process.env.LOAD_PHASES ??
  'steady:15,redis-down:15,redis-back:15,redis-stalled:15,redis-unstalled:15,postgres-down:15,postgres-back:15'
)
  .split(',')
  .map((phase) => {
    const [name = 'steady', seconds = '10'] = phase.split(':');
    return { name, seconds: Number(seconds) };
  });
const POSTGRES = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
const REDIS = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/3';
const DATABASES = ['identity', 'web', 'admin', 'bot'];
const PROVIDER_SECRET = 'load-provider-secret-0123456789-abcdefgh';
const ADMIN = { email: 'load-admin@example.test', password: 'load admin password' };
const PORT_BASE = 3400;
/** One address, many customers, each logging in several times a second: see the header. */
const BENCH_LIMITS = {
  LOGIN_IP_MAX_FAILURES: '1000000',
  REGISTRATION_IP_MAX: '1000000',
  LOGIN_ACCOUNT_MAX_SUCCESSES: '1000000',
};

type Stats = {
  statuses: Map<number, number>;
  latencies: number[];
  revokedAccepted: number;
  lostSessions: number;
  stalePermissions: number;
  /** Logouts answered 204 whose token was then tried on the other process at once. */
  crossProcessChecks: number;
  /** Session validations (GET /web/auth/me with a live token) answered 200, of all tried. */
  validationsServed: number;
  validations: number;
};

const stats = new Map<string, Stats>();
const debugSeen = new Set<string>();
const lostTokens: Array<{ token: string; phase: string; at: number }> = [];
let phase = PHASES[0]?.name ?? 'steady';
let stopping = false;

function current(): Stats {
  let entry = stats.get(phase);
  if (entry === undefined) {
    entry = {
      statuses: new Map(),
      latencies: [],
      revokedAccepted: 0,
      lostSessions: 0,
      stalePermissions: 0,
      crossProcessChecks: 0,
      validationsServed: 0,
      validations: 0,
    };
    stats.set(phase, entry);
  }
  return entry;
}

const base = (index: number) => `http://127.0.0.1:${PORT_BASE + index}`;
const anyProcess = () => Math.floor(Math.random() * PROCESSES);
const otherProcess = (index: number) => (index + 1) % PROCESSES;

async function call(
  index: number,
  method: string,
  path: string,
  token?: string,
  body?: object,
): Promise<{ status: number; json: unknown; startedAt: number }> {
  const startedAt = Date.now();
  const began = performance.now();
  let status: number;
  let json: unknown;
  try {
    const response = await fetch(`${base(index)}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    status = response.status;
    const text = await response.text();
    json = text === '' ? undefined : (JSON.parse(text) as unknown);
    if (status === 200 || status === 201) {
      const cookie = response.headers.get('set-cookie');
      const fresh = cookie === null ? undefined : /web_session=([^;]+)/.exec(cookie)?.[1];
      if (fresh !== undefined && fresh !== '') json = { ...(json as object), token: fresh };
    }
  } catch {
    status = 0; // no answer at all (timeout, connection refused)
  }
  const entry = current();
  if (
    process.env.LOAD_DEBUG === '1' &&
    status === 503 &&
    debugSeen.size < 6 &&
    !debugSeen.has(path)
  ) {
    debugSeen.add(path);
    console.log('503', method, path, JSON.stringify(json));
  }
  entry.statuses.set(status, (entry.statuses.get(status) ?? 0) + 1);
  entry.latencies.push(performance.now() - began);
  return { status, json, startedAt };
}

/** One customer: their tokens (with when each was revoked), their orders. */
class Customer {
  readonly email: string;
  password = 'customer password 1';
  /** A password change with no clear answer: either may be in force. */
  uncertainPassword: string | undefined;
  readonly live = new Set<string>();
  readonly revokedAt = new Map<string, number>();
  readonly orders: string[] = [];

  constructor(email: string) {
    this.email = email;
  }

  anyLive(): string | undefined {
    const tokens = [...this.live];
    return tokens[Math.floor(Math.random() * tokens.length)];
  }

  /** An attempt to revoke that got no answer at all may or may not have happened: judged no more. */
  forget(tokens: Iterable<string>): void {
    for (const token of [...tokens]) this.live.delete(token);
  }

  revoke(token: string, at: number): void {
    this.live.delete(token);
    if (!this.revokedAt.has(token)) this.revokedAt.set(token, at);
  }

  /** A validation answered: check it against what is known of the token. */
  judge(token: string, status: number, startedAt: number): void {
    const revokedAt = this.revokedAt.get(token);
    if (status === 200 && revokedAt !== undefined && revokedAt < startedAt)
      current().revokedAccepted++;
    if (status === 401 && revokedAt === undefined && this.live.has(token)) {
      current().lostSessions++;
      if (process.env.LOAD_DEBUG === '1') lostTokens.push({ token, phase, at: Date.now() });
    }
  }
}

/** Logs the customer in; answers the status and, for an error, its message. */
async function login(customer: Customer, index: number): Promise<string> {
  const response = await call(index, 'POST', '/web/auth/login', undefined, {
    email: customer.email,
    password: customer.password,
  });
  const token = (response.json as { token?: string } | undefined)?.token;
  if (response.status === 200 && token !== undefined) customer.live.add(token);
  if (response.status === 401 && customer.uncertainPassword !== undefined) {
    customer.password = customer.uncertainPassword;
    customer.uncertainPassword = undefined;
  }
  const message = (response.json as { message?: string } | undefined)?.message;
  return response.status === 200 ? '200' : `${response.status} ${message ?? ''}`.trim();
}

async function act(customer: Customer): Promise<void> {
  const index = anyProcess();
  const roll = Math.random();
  const token = customer.anyLive();
  if (token === undefined || roll < 0.08) {
    await login(customer, index);
    return;
  }
  if (roll < 0.62) {
    // Now and then a revoked token, to see it refused everywhere.
    const revoked = [...customer.revokedAt.keys()];
    const probe =
      Math.random() < 0.15 && revoked.length > 0
        ? revoked[Math.floor(Math.random() * revoked.length)]
        : token;
    if (probe === undefined) return;
    const response = await call(index, 'GET', '/web/auth/me', probe);
    customer.judge(probe, response.status, response.startedAt);
    if (customer.live.has(probe)) {
      current().validations++;
      if (response.status === 200) current().validationsServed++;
    }
    return;
  }
  if (roll < 0.78) {
    const response = await call(index, 'GET', '/web/orders', token);
    customer.judge(token, response.status, response.startedAt);
    return;
  }
  if (roll < 0.86) {
    const response = await call(index, 'POST', '/web/orders', token, {
      fromCurrency: 'USD',
      toCurrency: 'EUR',
      amount: `${1 + Math.floor(Math.random() * 999)}.25`,
    });
    const id = (response.json as { id?: string } | undefined)?.id;
    if (response.status === 201 && id !== undefined) customer.orders.push(id);
    return;
  }
  if (roll < 0.95) {
    // Log out on one process; the other must refuse the token on the very next request.
    const response = await call(index, 'POST', '/web/auth/logout', token);
    // An error answer means nothing was revoked (the revocation and its record commit
    // together); no answer at all leaves it unknown.
    if (response.status === 0) customer.forget([token]);
    if (response.status !== 204) return;
    customer.revoke(token, Date.now());
    const check = await call(otherProcess(index), 'GET', '/web/auth/me', token);
    current().crossProcessChecks++;
    customer.judge(token, check.status, check.startedAt);
    return;
  }
  if (roll < 0.98) {
    const response = await call(index, 'POST', '/web/auth/logout-all', token);
    if (response.status === 204)
      for (const each of [...customer.live]) customer.revoke(each, Date.now());
    return;
  }
  const next = `customer password ${Math.floor(Math.random() * 1e9)}`;
  const response = await call(index, 'POST', '/web/auth/password', token, {
    currentPassword: customer.password,
    newPassword: next,
  });
  if (response.status === 204) {
    customer.password = next;
    for (const each of [...customer.live]) if (each !== token) customer.revoke(each, Date.now());
  } else if (response.status === 0 || response.status === 503) {
    // Unknown outcome (no answer, or the database lost while the change was committing): the
    // password may have changed; try both next time.
    customer.forget(customer.live);
    customer.uncertainPassword = next;
  }
}

/** An admin changes a permission on one process; the customer's next request on the other must see it. */
async function permissionFlips(
  admin: string,
  customers: Array<{ customer: Customer; id: string }>,
): Promise<void> {
  const path = (id: string) => `/admin/users/${id}/permissions/web/analytics:read`;
  while (!stopping) {
    await sleep(1_000);
    const target = customers[Math.floor(Math.random() * customers.length)];
    if (target === undefined) continue;
    for (const [method, expected] of [
      ['PUT', 200],
      ['DELETE', 403],
    ] as const) {
      const token = target.customer.anyLive();
      if (token === undefined) break;
      const index = anyProcess();
      const change = await call(index, method, path(target.id), admin);
      if (change.status !== 204) break; // the database is away: nothing changed
      const seen = await call(otherProcess(index), 'GET', '/web/analytics/daily', token);
      if (seen.status === 200 || seen.status === 403) {
        if (seen.status !== expected) current().stalePermissions++;
      }
    }
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

const children: ChildProcess[] = [];

/** For the soak: process memory and connection counts over time (LOAD_SAMPLE_SECONDS). */
const samples: Array<{
  at: number;
  rssMb: number[];
  /** What is still reachable after a full collection: a leak shows here, heap sizing does not. */
  liveHeapMb: number[];
  postgresConnections: number;
  redisClients: number;
}> = [];

/** The soak starts each API with an inspector on INSPECTOR_BASE + index (loopback only). */
const INSPECTOR_BASE = 9400;

/**
 * Forces a full collection in API `index` through the inspector protocol and returns the
 * heap and external memory still in use. RSS alone cannot tell a leak from V8 keeping the
 * space it grew into under load.
 */
async function liveHeapMb(index: number): Promise<number> {
  const targets = (await (
    await fetch(`http://127.0.0.1:${INSPECTOR_BASE + index}/json/list`)
  ).json()) as Array<{ webSocketDebuggerUrl: string }>;
  const socket = new WebSocket(targets[0]?.webSocketDebuggerUrl ?? '');
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = reject;
  });
  let nextId = 0;
  const call = (method: string, params: object = {}) =>
    new Promise<{ result?: { result?: { value?: string } } }>((resolve) => {
      const id = ++nextId;
      socket.addEventListener('message', function onMessage(event) {
        const reply = JSON.parse(String(event.data)) as {
          id?: number;
          result?: { result?: { value?: string } };
        };
        if (reply.id !== id) return;
        socket.removeEventListener('message', onMessage);
        resolve(reply);
      });
      socket.send(JSON.stringify({ id, method, params }));
    });
  try {
    await call('HeapProfiler.collectGarbage');
    const reply = await call('Runtime.evaluate', {
      expression: 'JSON.stringify(process.memoryUsage())',
      returnByValue: true,
    });
    const usage = JSON.parse(reply.result?.result?.value ?? '{}') as {
      heapUsed?: number;
      external?: number;
    };
    return ((usage.heapUsed ?? 0) + (usage.external ?? 0)) / 2 ** 20;
  } finally {
    socket.close();
  }
}

async function sample(): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  const rssMb = await Promise.all(
    children.map(async (child) => {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
    }),
  );
  const live: number[] = [];
  for (const [index] of children.entries()) live.push(await liveHeapMb(index).catch(() => 0));
  const db = new pg.Client({ connectionString: `${POSTGRES}/postgres` });
  await db.connect();
  const { rows } = await db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname LIKE 'exchanger_%_load'`,
  );
  await db.end();
  const redis = createClient({ url: REDIS });
  await redis.connect();
  const info = await redis.info('clients');
  await redis.close();
  const redisClients = Number(/connected_clients:(\d+)/.exec(info)?.[1] ?? 0) - 1;
  samples.push({
    at: Date.now(),
    rssMb,
    liveHeapMb: live,
    postgresConnections: rows[0]?.n ?? 0,
    redisClients,
  });
}

/** Least-squares slope of y over minutes. */
function slopePerMinute(points: Array<[number, number]>): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

function soakReport(): string[] {
  if (samples.length < 3) return [];
  // The first minute is warm-up (JIT, pools filling): the trend is read after it.
  const start = samples[0]?.at ?? 0;
  const settled = samples.filter((entry) => entry.at - start >= 60_000);
  const minutes = (entry: { at: number }) => (entry.at - start) / 60_000;
  const describe = (label: string, series: (entry: (typeof samples)[number]) => number) => {
    const values = samples.map(series);
    const slope = slopePerMinute(settled.map((entry) => [minutes(entry), series(entry)]));
    return `${label} ${values[0]?.toFixed(0)} MB at start, ${Math.min(...values).toFixed(0)}–${Math.max(...values).toFixed(0)} MB over the run, ${values.at(-1)?.toFixed(0)} MB at the end; trend after the first minute ${slope >= 0 ? '+' : ''}${slope.toFixed(2)} MB/min`;
  };
  const lines = children.flatMap((_, index) => [
    describe(`process ${index + 1}: RSS`, (entry) => entry.rssMb[index] ?? 0),
    describe(`process ${index + 1}: live heap + external after a full GC`, (entry) =>
      entry.liveHeapMb[index] ?? 0),
  ]);
  const pgCounts = samples.map((entry) => entry.postgresConnections);
  const redisCounts = samples.map((entry) => entry.redisClients);
  return [
    `Soak, sampled every ${process.env.LOAD_SAMPLE_SECONDS} s (${samples.length} samples):`,
    '',
    ...lines.map((line) => `- ${line}`),
    `- PostgreSQL connections (all processes, all databases): ${Math.min(...pgCounts)}–${Math.max(...pgCounts)}, ${pgCounts.at(-1)} at the end`,
    `- Redis clients: ${Math.min(...redisCounts)}–${Math.max(...redisCounts)}`,
    '',
  ];
}

async function startApi(index: number, env: Record<string, string>): Promise<void> {
  const inspector = process.env.LOAD_SAMPLE_SECONDS
    ? [`--inspect=127.0.0.1:${INSPECTOR_BASE + index}`]
    : [];
  const child = spawn(process.execPath, [...inspector, 'dist/main.js'], {
    env: { PATH: process.env.PATH ?? '', ...env, PORT: String(PORT_BASE + index) },
    stdio: ['ignore', process.env.LOAD_API_LOG === undefined ? 'ignore' : 'pipe', 'inherit'],
  });
  if (process.env.LOAD_API_LOG !== undefined) {
    child.stdout?.on('data', (chunk: Buffer) =>
      appendFileSync(`${process.env.LOAD_API_LOG}.${index}`, chunk),
    );
  }
  children.push(child);
  for (let waited = 0; waited < 30_000; waited += 200) {
    const ready = await fetch(`${base(index)}/health/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) return;
    await sleep(200);
  }
  throw new Error(`API ${index} not ready`);
}

async function main(): Promise<void> {
  if (process.env.LOAD_SKIP_BUILD !== '1')
    execFileSync('npm', ['run', 'build'], { stdio: 'ignore' });
  const admin = new pg.Client({ connectionString: `${POSTGRES}/postgres` });
  await admin.connect();
  for (const name of DATABASES) {
    await admin.query(`DROP DATABASE IF EXISTS exchanger_${name}_load WITH (FORCE)`);
    await admin.query(`CREATE DATABASE exchanger_${name}_load`);
  }
  await admin.end();
  const redis = createClient({ url: REDIS });
  await redis.connect();
  await redis.flushDb();
  await redis.close();

  const redisProxy = await TcpProxy.start(REDIS);
  const postgresProxy = await TcpProxy.start(POSTGRES);
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    // The benchmarks send no mail.
    MAIL_ENABLED: 'false',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.LOAD_API_LOG === undefined ? 'error' : 'warn',
    REDIS_URL: redisProxy.url(REDIS),
    PAYMENT_PROVIDER_SECRET: PROVIDER_SECRET,
    ADMIN_EMAIL: ADMIN.email,
    ADMIN_PASSWORD: ADMIN.password,
    DATABASE_CONNECT_TIMEOUT_MS: '1000',
    DATABASE_STATEMENT_TIMEOUT_MS: '2000',
    ...BENCH_LIMITS,
  };
  for (const name of DATABASES) {
    env[`DATABASE_${name.toUpperCase()}_URL`] =
      `${postgresProxy.url(POSTGRES).replace(/\/$/, '')}/exchanger_${name}_load`;
  }
  const setupEnv = { PATH: process.env.PATH ?? '', ...env };
  // Not execFileSync: the proxies live in this process's event loop.
  const run = promisify(execFile);
  await run(process.execPath, ['dist/migrate.cli.js'], { env: setupEnv });
  await run(process.execPath, ['dist/web/rates/seed-rates.cli.js'], { env: setupEnv });
  for (let index = 0; index < PROCESSES; index++) await startApi(index, env);

  const adminLogin = await fetch(`${base(0)}/admin/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(ADMIN),
  });
  const adminToken =
    /admin_session=([^;]+)/.exec(adminLogin.headers.get('set-cookie') ?? '')?.[1] ?? '';

  const customers: Array<{ customer: Customer; id: string }> = [];
  for (let n = 0; n < USERS; n++) {
    const customer = new Customer(`load-${n}-${Date.now()}@example.test`);
    const registered = await call(n % PROCESSES, 'POST', '/web/auth/register', undefined, {
      email: customer.email,
      password: customer.password,
    });
    if (registered.status !== 201)
      throw new Error(`registering customer ${n} answered ${registered.status}`);
    const { user, token } = registered.json as { user: { id: string }; token: string };
    customer.live.add(token);
    customers.push({ customer, id: user.id });
  }
  stats.clear();

  const sampleSeconds = Number(process.env.LOAD_SAMPLE_SECONDS ?? 0);
  const sampler =
    sampleSeconds > 0
      ? setInterval(() => void sample().catch(() => undefined), sampleSeconds * 1_000)
      : undefined;
  const workers = customers.map(async ({ customer }) => {
    while (!stopping) await act(customer);
  });
  const flips = permissionFlips(adminToken, customers);
  for (const step of PHASES) {
    phase = step.name;
    if (process.env.LOAD_DEBUG === '1')
      console.error('phase', step.name, new Date().toISOString().slice(11, 23));
    // A fault phase cuts or stalls one service; any other phase has both working.
    redisProxy.restore();
    postgresProxy.restore();
    if (step.name === 'redis-down') redisProxy.cut();
    if (step.name === 'redis-stalled') redisProxy.freeze();
    if (step.name === 'postgres-down') postgresProxy.cut();
    if (step.name === 'postgres-stalled') postgresProxy.freeze();
    await sleep(step.seconds * 1_000);
  }
  stopping = true;
  clearInterval(sampler);
  await Promise.all([...workers, flips]);

  // After the run: every order placed exists; every session never revoked still validates.
  phase = 'final check';
  redisProxy.restore();
  postgresProxy.restore();
  await sleep(2_000);
  let lostOrders = 0;
  let orders = 0;
  let lostSessions = 0;
  // A customer who cannot sign in again is a failure of its own: their orders are not judged.
  const cannotSignIn: string[] = [];
  let unjudgedOrders = 0;
  for (const { customer } of customers) {
    const before = new Set(customer.live);
    let status = await login(customer, 0);
    if (customer.live.size === before.size) status = await login(customer, 0); // after an uncertain password change
    const token = [...customer.live].find((each) => !before.has(each));
    if (token === undefined) {
      cannotSignIn.push(status);
      unjudgedOrders += customer.orders.length;
    } else {
      for (const id of customer.orders) {
        orders++;
        const found = await call(anyProcess(), 'GET', `/web/orders/${id}`, token);
        if (found.status !== 200) lostOrders++;
      }
    }
    for (const live of before) {
      const seen = await call(anyProcess(), 'GET', '/web/auth/me', live);
      if (seen.status !== 200) lostSessions++;
    }
  }
  report({ lostOrders, orders, lostSessions, cannotSignIn, unjudgedOrders });
  if (lostTokens.length > 0) {
    const { createHash } = await import('node:crypto');
    const db = new pg.Client({ connectionString: `${POSTGRES}/exchanger_identity_load` });
    await db.connect();
    for (const lost of lostTokens.slice(0, 10)) {
      const id = createHash('sha256').update(lost.token).digest('hex');
      const { rows } = await db.query(
        'SELECT revoked, revoked_at, expires_at, created_at FROM sessions WHERE id = $1',
        [id],
      );
      console.log(lost.phase, new Date(lost.at).toISOString(), JSON.stringify(rows[0]));
    }
    await db.end();
  }
}

function report(final: {
  lostOrders: number;
  orders: number;
  lostSessions: number;
  cannotSignIn: string[];
  unjudgedOrders: number;
}): void {
  const rows = PHASES.map(({ name, seconds }) => {
    const entry = stats.get(name);
    if (entry === undefined) return `| ${name} | 0 | | | | | | | | |`;
    const total = entry.latencies.length;
    const codes = [...entry.statuses.entries()]
      .sort(([a], [b]) => a - b)
      .map(([status, count]) => `${status === 0 ? 'none' : status}×${count}`)
      .join(' ');
    const served = `${entry.validationsServed}/${entry.validations}`;
    return `| ${name} (${seconds} s) | ${total} | ${codes} | ${percentile(entry.latencies, 50).toFixed(1)} | ${percentile(entry.latencies, 99).toFixed(1)} | ${served} | ${entry.revokedAccepted} | ${entry.lostSessions} | ${entry.stalePermissions} | ${entry.crossProcessChecks} |`;
  });
  const all = [...stats.values()];
  const sum = (pick: (entry: Stats) => number) =>
    all.reduce((total, entry) => total + pick(entry), 0);
  const text = [
    `## ${new Date().toISOString().slice(0, 10)} — load with faults (\`npm run bench:load\`)`,
    '',
    `${PROCESSES} API processes on one PostgreSQL and one Redis (each behind a TCP proxy that the run cuts), ${USERS} customers in a loop of validations, order reads, logins, logouts (checked at once on the other process), orders, logout-all and password changes, plus an admin flipping a permission on one process and checking it on the other; ${cpus().length} cores, Node ${process.version}.`,
    '',
    '| phase | requests | status × count | p50 ms | p99 ms | validations served | revoked accepted | sessions lost | stale permissions | cross-process logout checks |',
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    ...soakReport(),
    `Totals: revoked sessions accepted **${sum((e) => e.revokedAccepted)}**, sessions lost **${sum((e) => e.lostSessions) + final.lostSessions}** (${final.lostSessions} in the final check), orders lost **${final.lostOrders}** of ${final.orders}, stale permissions **${sum((e) => e.stalePermissions)}**, customers who could not sign in after the run **${final.cannotSignIn.length}** of ${USERS}${final.cannotSignIn.length === 0 ? '' : ` (answered ${final.cannotSignIn.map((answer) => `"${answer}"`).join(', ')}; their ${final.unjudgedOrders} orders not judged)`}.`,
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
  await sleep(1_500);
}
process.exit(failed ? 1 : 0);
