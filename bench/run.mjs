// npm run bench: the API against the floors and peers that do the same job, every one in this
// run, interleaved: req/s, latency, server CPU per request (from /proc), RSS, logins against
// the machine's argon2id rate. Prints the table with each target's ratio and appends it,
// dated, to bench/RESULTS.md (unless BENCH_NO_RECORD=1).
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { exited, spawnTracked, stopAll } from './lib/children.mjs';
import { medianRound, runLoad, TOOL } from './lib/load.mjs';
import { processTree, reapedChildrenCpuMicros, treeCpuMicros, treeRssBytes } from './lib/proc.mjs';
import { record } from './lib/report.mjs';
import {
  API_NODE_FLAGS,
  BOT_WEBHOOK_SECRET,
  THREADPOOL,
  botBacklog,
  cachedSessionBytes,
  migrateApi,
  prepareDatabases,
  seed,
  startServers,
} from './lib/setup.mjs';

function setting(name, fallback) {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}
const config = {
  seconds: setting('BENCH_SECONDS', 10),
  connections: setting('BENCH_CONNECTIONS', 50),
  rounds: setting('BENCH_ROUNDS', 3),
  warmupSeconds: setting('BENCH_WARMUP_SECONDS', 5),
  loginClients: setting('BENCH_LOGIN_CLIENTS', 20),
  apiWorkers:
    process.env.BENCH_API_WORKERS === undefined ? undefined : setting('BENCH_API_WORKERS'),
  // A quicker look at some rows (their ids, comma-separated); bench:check judges a full run.
  only: process.env.BENCH_ONLY?.split(',').map((id) => id.trim()),
};

/** One row each. `server` names the process whose CPU counts; `probe` samples /health meanwhile. */
function targetsFor(servers, cookies) {
  const get = (id, name, server, path, cookie) => ({
    id,
    name,
    server,
    url: `${servers[server].url}${path}`,
    headers: cookie === undefined ? {} : { cookie },
  });
  const me = cookies.cached;
  const login = get(
    'apiLogin',
    `API POST /web/auth/login, ${config.loginClients} clients`,
    'api',
    '/web/auth/login',
  );
  const targets = [
    get('apiHealth', 'API GET /health', 'api', '/health'),
    get('nestHealth', 'bare Nest GET /health', 'nestGuard', '/health'),
    get('apiMe', 'API GET /web/auth/me, cached', 'api', '/web/auth/me', me),
    get('nestMe', 'Nest + guard + Redis GET', 'nestGuard', '/me', me),
    get('nestFeatures', "Nest + the API's features, written plainly", 'nestFeatures', '/me', me),
    get('nodeRedis', 'node:http + Redis GET', 'nodeHttpRedis', '/me', me),
    get(
      'express',
      'express-session + connect-redis, touching (GET + EXPIRE)',
      'expressSession',
      '/me',
      cookies.express,
    ),
    get(
      'expressNoTouch',
      'express-session + connect-redis, disableTouch (GET)',
      'expressNoTouch',
      '/me',
      cookies.express,
    ),
    get('betterAuth', 'Better Auth getSession (Redis)', 'betterAuth', '/me', cookies.betterAuth),
    get('apiMiss', 'API GET /web/auth/me, cache miss', 'apiMiss', '/web/auth/me', cookies.missing),
    get(
      'apiCluster',
      'API GET /web/auth/me, cached, Redis Cluster (3 masters)',
      'apiCluster',
      '/web/auth/me',
      cookies.cluster,
    ),
    get('nodePg', 'node:http + pg SELECT by key', 'nodeHttpPg', '/me', cookies.missing),
    get('apiRate', 'API GET /web/rates/USD/EUR, cached', 'api', '/web/rates/USD/EUR'),
    get('apiOrders', 'API GET /web/orders (10), cached', 'api', '/web/orders', me),
    // The same web rows on an API with the bot off: the bot (on in `api`) must not slow them.
    get('noBotMe', 'API, bot off: GET /web/auth/me, cached', 'apiNoBot', '/web/auth/me', me),
    get('noBotRate', 'API, bot off: GET /web/rates/USD/EUR', 'apiNoBot', '/web/rates/USD/EUR'),
    {
      ...get(
        'botWebhook',
        'API POST /bot/telegram/webhook, /rates',
        'api',
        '/bot/telegram/webhook',
      ),
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-telegram-bot-api-secret-token': BOT_WEBHOOK_SECRET,
      },
      bodies: telegramUpdates(cookies.telegramChats),
      // The handling goes on after the load: the next row waits until the backlog is gone.
      settle: waitForBotBacklog,
    },
    { id: 'hash', name: `argon2id hashes, ${config.loginClients} in flight`, hash: true },
    {
      ...login,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: cookies.loginBody,
      connections: config.loginClients,
      probe: `${servers.api.url}/health`,
    },
  ];
  if (config.apiWorkers !== undefined) {
    const name = `API GET /web/auth/me, cached, WORKERS=${config.apiWorkers}`;
    targets.push(get('apiWorkers', name, 'apiWorkers', '/web/auth/me', me));
  }
  if (config.only === undefined) return targets;
  const unknown = config.only.filter((id) => !targets.some((target) => target.id === id));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: no row ${unknown.join(', ')}`);
  return targets.filter((target) => config.only.includes(target.id));
}

/**
 * "/rates USD EUR" from the linked Telegram users, each request a new update_id: every run
 * starts from a new base, so no update is ever a duplicate.
 */
function telegramUpdates(chats) {
  let run = 0;
  let counter = 0;
  const body = (id, chat) =>
    JSON.stringify({
      update_id: id,
      message: {
        message_id: id,
        from: { id: chat, is_bot: false, first_name: 'B' },
        chat: { id: chat, type: 'private', first_name: 'B' },
        date: Math.floor(Date.now() / 1000),
        text: '/rates USD EUR',
        entities: [{ type: 'bot_command', offset: 0, length: 6 }],
      },
    });
  return {
    script: 'bench/wrk-telegram-updates.lua',
    get env() {
      run += 1;
      return { WRK_UPDATE_BASE: String(run * 10_000_000), WRK_CHATS: chats.join(',') };
    },
    next() {
      counter += 1;
      return body(1_000_000_000 + counter, chats[counter % chats.length]);
    },
  };
}

/** Waits until the bot has handled every stored update; returns how long that took after the load. */
async function waitForBotBacklog() {
  const started = performance.now();
  while ((await botBacklog()) > 0) {
    if (performance.now() - started > 300_000) throw new Error('the bot did not catch up in 5 min');
    await sleep(200);
  }
  return { drainSeconds: (performance.now() - started) / 1000 };
}

async function measure(target, servers, seconds) {
  if (target.hash) return measureHashRate(seconds);
  const pid = servers[target.server].child.pid;
  const cpuBefore = treeCpuMicros(pid);
  const probe = target.probe === undefined ? undefined : startProbe(target.probe);
  const started = performance.now();
  const load = await runLoad({
    connections: config.connections,
    ...target,
    seconds,
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const serverCpuMicros = treeCpuMicros(pid) - cpuBefore;
  const settled = await target.settle?.();
  return { ...load, serverCpuMicros, wallSeconds, probe: await probe?.stop(), ...settled };
}

/** The machine's argon2id rate with the API's parameters, in a process of its own. */
async function measureHashRate(seconds) {
  const cpuBefore = reapedChildrenCpuMicros();
  const child = spawnTracked(process.execPath, ['bench/hash-rate.mjs'], {
    env: {
      ...THREADPOOL,
      HASH_SECONDS: String(seconds),
      HASH_CONCURRENCY: String(config.loginClients),
    },
    stdout: 'pipe',
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk));
  if ((await exited(child)) !== 0) throw new Error('bench/hash-rate.mjs failed');
  const { hashes, seconds: wallSeconds } = JSON.parse(output);
  return {
    requests: hashes,
    rps: hashes / wallSeconds,
    failures: 0,
    serverCpuMicros: reapedChildrenCpuMicros() - cpuBefore,
    wallSeconds,
  };
}

/** Sequential GETs while a target runs: if hashing held the event loop, these would wait. */
function startProbe(url) {
  const latencies = [];
  let running = true;
  let failure;
  const loop = (async () => {
    while (running) {
      const started = performance.now();
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`probe ${url} answered ${response.status}`);
      latencies.push(performance.now() - started);
      await sleep(20);
    }
  })().catch((error) => (failure = error)); // reported by stop(), after the load has ended
  return {
    async stop() {
      running = false;
      await loop;
      if (failure !== undefined) throw failure;
      const sorted = latencies.sort((a, b) => a - b);
      const percentile = (p) => sorted[Math.max(0, Math.ceil(sorted.length * p) - 1)];
      return { p50: percentile(0.5), p99: percentile(0.99), max: sorted.at(-1) };
    },
  };
}

async function main() {
  const startedAt = performance.now();
  try {
    execFileSync('npm', ['run', 'build'], { stdio: 'pipe' });
  } catch (error) {
    process.stderr.write(`${error.stdout}${error.stderr}`);
    throw new Error('npm run build failed', { cause: error });
  }
  await prepareDatabases();
  migrateApi();
  const servers = await startServers({ apiWorkers: config.apiWorkers });
  const cookies = await seed(servers);
  const targets = targetsFor(servers, cookies);

  // Warm-up (JIT, pools, caches): a target that fails here is broken, so stop at once.
  for (const target of targets.filter((each) => !each.hash)) {
    const warm = await measure(target, servers, config.warmupSeconds);
    if (warm.failures > 0 || warm.requests === 0)
      throw new Error(
        `${target.name}: ${warm.failures} of ${warm.requests} warm-up requests failed`,
      );
  }
  // Rounds interleaved, each starting one target later, so machine noise hits all alike.
  const rounds = new Map(targets.map((target) => [target.id, []]));
  for (let round = 0; round < config.rounds; round++) {
    for (let index = 0; index < targets.length; index++) {
      const target = targets[(index + round) % targets.length];
      rounds.get(target.id).push(await measure(target, servers, config.seconds));
      await sleep(500); // let background work of the previous target settle
    }
  }
  const results = new Map(
    targets.map((target) => {
      const measured = rounds.get(target.id);
      const failuresInRounds = measured.reduce((sum, round) => sum + round.failures, 0);
      return [target.id, { ...target, ...medianRound(measured), failuresInRounds }];
    }),
  );
  const memory = Object.entries(servers).map(([name, { child }]) => ({
    name,
    processes: processTree(child.pid).length,
    rssBytes: treeRssBytes(child.pid),
  }));
  await record({
    config,
    tool: TOOL,
    apiNodeFlags: API_NODE_FLAGS,
    results,
    memory,
    sessionBytes: await cachedSessionBytes(cookies.cached),
    minutes: (performance.now() - startedAt) / 60_000,
  });
  const failed = [...results.values()].filter((row) => row.failuresInRounds > 0);
  if (failed.length > 0) {
    process.stderr.write(`Requests failed in: ${failed.map((row) => row.name).join(', ')}\n`);
    process.exitCode = 1;
  }
}

try {
  await main();
} finally {
  await stopAll();
}
