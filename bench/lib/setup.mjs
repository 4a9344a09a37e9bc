// What a bench run stands on: fresh databases, the API twice (cached and always missing the
// cache), the peers, and the sessions, users and orders the targets read.
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execFileSync } from 'node:child_process';
import pg from 'pg';
import { createClient } from '@redis/client';
import { spawnTracked, startServer } from './children.mjs';

const env = process.env;
export const POSTGRES = env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const REDIS = env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/2';
/** A second Redis that refuses every write: each validation misses, reads PostgreSQL, fails to refill. */
const FULL_REDIS_PORT = Number(env.BENCH_FULL_REDIS_PORT ?? 6391);
const PORT_BASE = Number(env.BENCH_PORT_BASE ?? 3310);
const DATABASE_SUFFIX = env.BENCH_DATABASE_SUFFIX ?? '_bench';
const API_DATABASES = ['identity', 'web', 'admin', 'bot'];
const databaseUrl = (name) => `${POSTGRES}/exchanger_${name}${DATABASE_SUFFIX}`;
const PASSWORD = 'bench password 1';
const LOGIN_ACCOUNTS = Number(env.BENCH_LOGIN_CLIENTS ?? 20);
/** The bot's row: a token of Telegram's shape for the Bot API stand-in, and the webhook secret. */
export const BOT_TOKEN = `7000000001:${'B'.repeat(35)}`;
export const BOT_WEBHOOK_SECRET = 'bench-webhook-secret-0123456789-abcdefghij';
/** Telegram users linked to API users for the webhook row (updates are handled per sender, in order). */
const BOT_USERS = 20;
/**
 * The node flags the API is shipped with: those of `npm start` (package.json "start"), but
 * `--env-file-if-exists` (the bench sets every variable itself). The image sets the same
 * heap flags in NODE_OPTIONS (docker/Dockerfile); a run stops if the two disagree.
 */
export const API_NODE_FLAGS = shippedNodeFlags();

function shippedNodeFlags() {
  const root = new URL('../../', import.meta.url);
  const { scripts } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8'));
  const words = scripts.start.trim().split(/\s+/);
  if (words[0] !== 'node' || words.at(-1) !== 'dist/main.js')
    throw new Error(`package.json "start" is not "node <flags> dist/main.js": ${scripts.start}`);
  const flags = words.slice(1, -1).filter((flag) => !flag.startsWith('--env-file'));
  const image = /NODE_OPTIONS="([^"]*)"/.exec(
    readFileSync(new URL('docker/Dockerfile', root), 'utf8'),
  )?.[1];
  if (image !== undefined && image.split(/\s+/).join(' ') !== flags.join(' '))
    throw new Error(`npm start runs node ${flags.join(' ')}, the image NODE_OPTIONS="${image}"`);
  return flags;
}
/** Passed on to the API and the hash-rate script alike, so both hash on the same pool size. */
export const THREADPOOL = env.UV_THREADPOOL_SIZE
  ? { UV_THREADPOOL_SIZE: env.UV_THREADPOOL_SIZE }
  : {};

export async function prepareDatabases() {
  const admin = new pg.Client({ connectionString: `${POSTGRES}/postgres` });
  await admin.connect();
  for (const name of [...API_DATABASES, 'betterauth']) {
    await admin.query(`DROP DATABASE IF EXISTS exchanger_${name}${DATABASE_SUFFIX} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE exchanger_${name}${DATABASE_SUFFIX}`);
  }
  await admin.end();
  const redis = createClient({ url: REDIS });
  await redis.connect();
  await redis.flushDb();
  await redis.close();
}

/**
 * `botApiRoot`: the bot is on and talks to the Bot API there; unset: the bot is off.
 * `clusterNodes`: the API caches in that Redis Cluster instead of `redisUrl`.
 */
function apiEnv(port, redisUrl, workers, { botApiRoot, clusterNodes } = {}) {
  const result = {
    ...THREADPOOL,
    NODE_ENV: 'production',
    // The benchmarks send no mail.
    MAIL_ENABLED: 'false',
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...(clusterNodes === undefined
      ? { REDIS_URL: redisUrl }
      : { REDIS_URL: '', REDIS_CLUSTER_NODES: clusterNodes }),
    DATABASE_MIGRATE: 'false',
    // Explicit, so that a default of one worker per core could not skew the comparisons.
    WORKERS: String(workers),
    // The bench registers its accounts, and links the bot's users, from this one address.
    REGISTRATION_IP_MAX: '1000000',
    ...(botApiRoot === undefined
      ? {}
      : {
          TELEGRAM_BOT_TOKEN: BOT_TOKEN,
          TELEGRAM_API_ROOT: botApiRoot,
          TELEGRAM_WEBHOOK_SECRET: BOT_WEBHOOK_SECRET,
        }),
  };
  for (const name of API_DATABASES)
    result[`DATABASE_${name.toUpperCase()}_URL`] = databaseUrl(name);
  return result;
}

/** Migrates the API's databases and seeds the exchange rates, with the built CLIs. */
export function migrateApi() {
  const setupEnv = { PATH: env.PATH, ...apiEnv(0, REDIS, 1), DATABASE_MIGRATE: 'true' };
  for (const script of ['dist/migrate.cli.js', 'dist/web/rates/seed-rates.cli.js'])
    execFileSync(process.execPath, [script], {
      env: setupEnv,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
}

const answers = (url) => () => fetch(url).then((response) => response.status < 500);
const portTaken = (port) =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

/**
 * A three-master Redis Cluster (no replicas, no persistence) on the ports after the full
 * Redis's; returns its nodes as REDIS_CLUSTER_NODES takes them.
 */
async function startRedisCluster() {
  const ports = [1, 2, 3].map((offset) => FULL_REDIS_PORT + offset);
  for (const port of ports)
    if (await portTaken(port))
      throw new Error(`port ${port} is already in use (set BENCH_FULL_REDIS_PORT)`);
  const dir = mkdtempSync(join(tmpdir(), 'exchanger-bench-cluster-'));
  for (const port of ports)
    spawnTracked('redis-server', [
      ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`],
      ...['--dir', dir],
    ]);
  for (const port of ports) await waitForRedis(`redis://127.0.0.1:${port}`);
  const nodes = ports.map((port) => `127.0.0.1:${port}`);
  execFileSync(
    'redis-cli',
    ['--cluster', 'create', ...nodes, '--cluster-replicas', '0', '--cluster-yes'],
    {
      stdio: 'ignore',
    },
  );
  for (const port of ports) {
    for (let attempt = 0; ; attempt++) {
      const client = createClient({ url: `redis://127.0.0.1:${port}` });
      await client.connect();
      const info = await client.sendCommand(['CLUSTER', 'INFO']);
      await client.close();
      if (/cluster_state:ok/.test(info)) break;
      if (attempt === 100) throw new Error(`Redis Cluster node ${port} not ready`);
      await sleep(100);
    }
  }
  return nodes.join(',');
}

/** A peer of `bench/peers/`, on the bench's Redis; `extra` adds to its environment. */
const peer = (script, extra = {}) => ({
  args: [`bench/peers/${script}`],
  env: (port) => ({
    NODE_ENV: 'production',
    // The benchmarks send no mail.
    MAIL_ENABLED: 'false',
    PORT: String(port),
    REDIS_URL: REDIS,
    ...extra,
  }),
  ready: '/me',
});

/**
 * The API as shipped (`API_NODE_FLAGS`), or with other node `flags` (a row that uses them
 * says so). `botApiRoot`: the bot is on and talks to that Bot API; `clusterNodes`: caches in
 * that Redis Cluster instead of `redisUrl`.
 */
export const apiServer = (
  redisUrl,
  workers,
  { botApiRoot, clusterNodes, flags = API_NODE_FLAGS } = {},
) => ({
  args: [...flags, 'dist/main.js'],
  env: (port) => apiEnv(port, redisUrl, workers, { botApiRoot, clusterNodes }),
  ready: '/health/ready',
});

/**
 * Every server of the run: name → { child, url }. `apiWorkers` adds one more API, started
 * with WORKERS=n, for the "n workers vs 1" rows; one more runs on a Redis Cluster.
 */
export async function startServers({ apiWorkers }) {
  const fullRedisUrl = `redis://127.0.0.1:${FULL_REDIS_PORT}`;
  if (await portTaken(FULL_REDIS_PORT))
    throw new Error(`port ${FULL_REDIS_PORT} is already in use (set BENCH_FULL_REDIS_PORT)`);
  spawnTracked('redis-server', [
    ...['--port', String(FULL_REDIS_PORT), '--bind', '127.0.0.1', '--save', ''],
    ...['--appendonly', 'no', '--maxmemory', '1', '--maxmemory-policy', 'noeviction'],
  ]);
  // The Bot API stand-in comes first: its port (the base) is known before the APIs start.
  const botApiRoot = `http://127.0.0.1:${PORT_BASE}`;
  const clusterNodes = await startRedisCluster();
  const plan = {
    botApi: {
      args: ['bench/peers/bot-api.mjs'],
      env: (port) => ({ PORT: String(port), BOT_TOKEN }),
      ready: '/stats',
    },
    api: apiServer(REDIS, 1, { botApiRoot }),
    apiNoBot: apiServer(REDIS, 1),
    apiMiss: apiServer(fullRedisUrl, 1),
    nestGuard: peer('nest-guard.mjs'),
    nestFeatures: peer('nest-features.mjs'),
    nodeHttpRedis: peer('node-http-redis.mjs'),
    nodeHttpPg: peer('node-http-pg.mjs', { DATABASE_URL: databaseUrl('identity') }),
    expressSession: peer('express-session.mjs'),
    expressNoTouch: peer('express-session.mjs', { DISABLE_TOUCH: 'true' }),
    betterAuth: peer('better-auth.mjs', { DATABASE_URL: databaseUrl('betterauth') }),
    apiCluster: apiServer(undefined, 1, { botApiRoot, clusterNodes }),
    ...(apiWorkers === undefined
      ? {}
      : { apiWorkers: apiServer(REDIS, apiWorkers, { botApiRoot }) }),
  };
  await waitForRedis(fullRedisUrl);
  return startPlan(plan);
}

/** Starts every server of `plan` (name → { args, env(port), ready }) on ports from the base. */
export async function startPlan(plan) {
  const entries = Object.entries(plan).map(([name, server], index) => [
    name,
    server,
    PORT_BASE + index,
  ]);
  for (const [name, , port] of entries)
    if (await portTaken(port))
      throw new Error(`${name}: port ${port} is already in use (set BENCH_PORT_BASE)`);
  const started = await Promise.all(
    entries.map(async ([name, server, port]) => {
      const url = `http://127.0.0.1:${port}`;
      const child = await startServer(
        name,
        process.execPath,
        server.args,
        server.env(port),
        answers(`${url}${server.ready}`),
      );
      return [name, { child, url }];
    }),
  );
  return Object.fromEntries(started);
}

async function waitForRedis(url) {
  for (let attempt = 0; ; attempt++) {
    const client = createClient({ url });
    try {
      await client.connect();
      await client.close();
      return;
    } catch (error) {
      if (attempt === 50) throw error;
      await sleep(100);
    }
  }
}

async function post(url, body, headers = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (response.status >= 300)
    throw new Error(`POST ${url} answered ${response.status}: ${await response.text()}`);
  return response;
}

const cookieOf = (response, name) =>
  response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .find((pair) => pair.startsWith(`${name}=`));

/**
 * Users, sessions and orders for the targets. Returns the cookie each target sends and the
 * login body. The node:http and Nest peers read a copy of the API's own session answer under
 * `bench-peer:session:{sha256(token)}` (the same-features peer the whole /me answer under
 * `bench-peer:features:…`); node-http-pg reads the API's `sessions` row.
 */
export async function seed(servers) {
  const { api, apiMiss, apiCluster, expressSession, betterAuth } = servers;
  const stamp = Date.now();
  const { user, cookie: cached } = await registerAndLogIn(api.url, stamp);
  // Logged in through the API whose Redis refuses writes: the session exists only in PostgreSQL.
  const missing = cookieOf(await post(`${apiMiss.url}/web/auth/login`, user), 'web_session');
  // The API on Redis Cluster shares the databases: the same user, a session cached there.
  const cluster = cookieOf(await post(`${apiCluster.url}/web/auth/login`, user), 'web_session');
  // Logins under load get accounts of their own, so that their sessions crowd no other
  // target; as many as the clients, as real logins come from different people (attempts on
  // one account beyond its failure limit are refused while in flight, right or wrong).
  const loginUsers = Array.from({ length: LOGIN_ACCOUNTS }, (_, index) => ({
    email: `bench-login-${stamp}-${index}@example.test`,
    password: PASSWORD,
  }));
  for (const loginUser of loginUsers) await post(`${api.url}/web/auth/register`, loginUser);

  for (let index = 0; index < 10; index++) {
    const order = { fromCurrency: 'USD', toCurrency: 'EUR', amount: `${100 + index}.50` };
    await post(`${api.url}/web/orders`, order, { cookie: cached });
  }
  await copySessionForPeers(api.url, cached);
  const telegramChats = await linkTelegramUsers(api.url, stamp);

  const express = cookieOf(await post(`${expressSession.url}/login`, {}), 'connect.sid');
  const betterAuthSession = cookieOf(
    await post(
      `${betterAuth.url}/api/auth/sign-up/email`,
      { ...user, name: 'Bench' },
      { origin: betterAuth.url }, // fetch sends Sec-Fetch-Mode, so Better Auth wants an Origin
    ),
    'better-auth.session_token',
  );
  await sleep(3_500); // the API refuses cache refills for 3 s after a change
  return {
    cached,
    missing,
    cluster,
    loginBody: loginUsers.map((loginUser) => JSON.stringify(loginUser)).join('\n'),
    express,
    betterAuth: betterAuthSession,
    telegramChats,
  };
}

/** A new user, registered and logged in through the API at `apiUrl`: the user and the session's cookie. */
export async function registerAndLogIn(apiUrl, stamp = Date.now()) {
  const user = { email: `bench-${stamp}@example.test`, password: PASSWORD };
  await post(`${apiUrl}/web/auth/register`, user);
  return { user, cookie: cookieOf(await post(`${apiUrl}/web/auth/login`, user), 'web_session') };
}

/** Telegram's call to the webhook with one update. */
function deliverUpdate(apiUrl, update) {
  return post(`${apiUrl}/bot/telegram/webhook`, update, {
    'x-telegram-bot-api-secret-token': BOT_WEBHOOK_SECRET,
  });
}

/**
 * Users who linked a Telegram account through the bot as a person does: `/start CODE`, then
 * a press on the Confirm button the bot answers with. Returns their chat ids.
 */
async function linkTelegramUsers(apiUrl, stamp) {
  const chats = Array.from({ length: BOT_USERS }, (_, index) => 1_000_000_000 + index);
  const person = (chat) => ({ id: chat, is_bot: false, first_name: 'Bench' });
  const privateChat = (chat) => ({ id: chat, type: 'private', first_name: 'Bench' });
  for (const [index, chat] of chats.entries()) {
    const user = { email: `bench-telegram-${index}-${stamp}@example.test`, password: PASSWORD };
    await post(`${apiUrl}/web/auth/register`, user);
    const cookie = cookieOf(await post(`${apiUrl}/web/auth/login`, user), 'web_session');
    const { code } = await (
      await post(`${apiUrl}/web/auth/telegram/link-code`, {}, { cookie })
    ).json();
    await deliverUpdate(apiUrl, {
      update_id: index + 1,
      message: {
        message_id: 1,
        from: person(chat),
        chat: privateChat(chat),
        date: Math.floor(Date.now() / 1000),
        text: `/start ${code}`,
        entities: [{ type: 'bot_command', offset: 0, length: 6 }],
      },
    });
  }
  const bot = new pg.Client({ connectionString: databaseUrl('bot') });
  await bot.connect();
  const waitFor = async (what, sql) => {
    for (let waited = 0; ; waited += 100) {
      const { rows } = await bot.query(sql);
      if (rows.length === BOT_USERS) return rows;
      if (waited > 60_000)
        throw new Error(`only ${rows.length} of ${BOT_USERS} Telegram users ${what}`);
      await sleep(100);
    }
  };
  try {
    const requests = await waitFor(
      'were asked to confirm',
      `SELECT telegram_user_id::text AS chat, context->'link'->>'id' AS link
         FROM conversations WHERE context->'link'->>'id' IS NOT NULL`,
    );
    for (const [index, { chat, link }] of requests.entries())
      await deliverUpdate(apiUrl, {
        update_id: BOT_USERS + index + 1,
        callback_query: {
          id: `bench-confirm-${index}`,
          from: person(Number(chat)),
          chat_instance: chat,
          data: `lc:${link}`,
          message: {
            message_id: 2,
            date: Math.floor(Date.now() / 1000),
            chat: privateChat(Number(chat)),
          },
        },
      });
    await waitFor('got linked', 'SELECT 1 FROM conversations WHERE session_id IS NOT NULL');
  } finally {
    await bot.end();
  }
  return chats;
}

/** Updates stored and not handled yet by the API's bot. */
export async function botBacklog() {
  const bot = new pg.Client({ connectionString: databaseUrl('bot') });
  await bot.connect();
  try {
    const { rows } = await bot.query(
      'SELECT count(*)::int AS pending FROM telegram_updates WHERE processed_at IS NULL',
    );
    return rows[0].pending;
  } finally {
    await bot.end();
  }
}

async function copySessionForPeers(apiUrl, cookie) {
  const response = await fetch(`${apiUrl}/web/auth/me`, { headers: { cookie } });
  if (response.status !== 200) throw new Error(`GET /web/auth/me answered ${response.status}`);
  const answer = await response.json();
  const { user, permissions, session } = answer;
  const token = cookie.slice(cookie.indexOf('=') + 1);
  const id = createHash('sha256').update(token).digest('hex');
  const expiration = { expiration: { type: 'EX', value: 86_400 } };
  const redis = createClient({ url: REDIS });
  await redis.connect();
  await redis.set(
    `bench-peer:session:${id}`,
    JSON.stringify({ user, permissions, expiresAt: session.expiresAt }),
    expiration,
  );
  // The same-features peer builds the API's whole answer from it.
  await redis.set(`bench-peer:features:${id}`, JSON.stringify(answer), expiration);
  await redis.close();
}

/** Bytes Redis spends on one cached API session (MEMORY USAGE, key and value included). */
export async function cachedSessionBytes(cookie) {
  const token = cookie.slice(cookie.indexOf('=') + 1);
  const redis = createClient({ url: REDIS });
  await redis.connect();
  const id = createHash('sha256').update(token).digest('hex');
  const bytes = await redis.memoryUsage(`identity:session:web:${id}`);
  await redis.close();
  return bytes;
}
