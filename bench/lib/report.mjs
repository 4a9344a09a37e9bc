// The bench's table: one row per target with each product target's ratio and whether it holds.
import { appendFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';

const RESULTS = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
const RSS_LIMIT_MB = 250;

const cpuPerRequest = (row) => row.serverCpuMicros / row.requests;
const fixed = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

/** "≥ 0.90 × Nest guard: **0.93** ✓" */
function check(label, value, limit, direction) {
  const holds = direction === 'min' ? value >= limit : value <= limit;
  const sign = direction === 'min' ? '≥' : '≤';
  return `${sign} ${limit.toFixed(2)} × ${label}: **${fixed(value)}** ${holds ? '✓' : '✗'}`;
}
const atLeast = (label, value, limit) => check(label, value, limit, 'min');
const atMost = (label, value, limit) => check(label, value, limit, 'max');

const cores = (row) =>
  [row.serverCpuMicros, row.loadCpuMicros].map((micros) => micros / 1e6 / row.wallSeconds);

/**
 * The event loop never waits on a hash: /health, asked every 20 ms during the logins. Were
 * hashes computed on the loop, the probe would queue behind them like any login and wait a
 * good part of a login's latency; with hashing on libuv's pool it waits only for the loop's
 * short turns. Both latencies grow alike when the machine is busy, so their ratio holds.
 */
function eventLoopCheck(probe, login) {
  const ratio = probe.p50 / login.p50;
  return `/health meanwhile p50 ${fixed(probe.p50)} ms ${atMost('login p50', ratio, 0.1)} (p99 ${fixed(probe.p99)}, max ${fixed(probe.max)} ms)`;
}

/** The targets column, per row id. */
function targetNotes(results) {
  const { apiHealth, nestHealth, apiMe, nestMe, nodeRedis, express, apiMiss, nodePg } =
    Object.fromEntries(results);
  const { apiLogin, hash, apiWorkers, apiCluster, apiRate, noBotMe, noBotRate, botWebhook } =
    Object.fromEntries(results);
  const notes = {
    apiHealth: [atLeast('bare Nest /health', apiHealth.rps / nestHealth.rps, 0.85)],
    apiMe: [
      atLeast('Nest guard', apiMe.rps / nestMe.rps, 0.9),
      atLeast('node:http floor', apiMe.rps / nodeRedis.rps, 0.65),
      atLeast('express-session', apiMe.rps / express.rps, 2.5),
      `CPU/req ${atMost('Nest guard', cpuPerRequest(apiMe) / cpuPerRequest(nestMe), 1.3)}`,
      `p99 ${atMost('Nest guard', apiMe.p99 / nestMe.p99, 1.5)}`,
      atLeast('API with the bot off', apiMe.rps / noBotMe.rps, 0.9),
    ],
    apiRate: [atLeast('API with the bot off', apiRate.rps / noBotRate.rps, 0.9)],
    botWebhook: [
      `every update handled ${fixed(botWebhook.drainSeconds, 1)} s after the load: ${fixed(
        botWebhook.requests / (botWebhook.wallSeconds + botWebhook.drainSeconds),
        0,
      )} updates/s end to end (replies then leave at Telegram's 30/s)`,
    ],
    apiMiss: [atLeast('node:http + pg', apiMiss.rps / nodePg.rps, 0.6)],
    apiCluster: [
      `× one Redis: **${fixed(apiCluster.rps / apiMe.rps)}**, CPU/req **${fixed(cpuPerRequest(apiCluster) / cpuPerRequest(apiMe))}**`,
    ],
    apiLogin: [
      atLeast('argon2id hashes/s', apiLogin.rps / hash.rps, 0.8),
      eventLoopCheck(apiLogin.probe, apiLogin),
    ],
  };
  if (apiWorkers !== undefined) {
    const [server, load] = cores(apiWorkers);
    const [oneServer, oneLoad] = cores(apiMe);
    notes.apiWorkers = [
      `× 1 process: **${fixed(apiWorkers.rps / apiMe.rps)}**`,
      `cores server + load ${fixed(server)} + ${fixed(load)} (1 process: ${fixed(oneServer)} + ${fixed(oneLoad)})`,
    ];
  }
  return notes;
}

function table(results) {
  const notes = targetNotes(results);
  const rows = [...results.values()].map((row) => {
    const failed = row.failuresInRounds > 0 ? [`**FAILED: ${row.failuresInRounds} requests**`] : [];
    const [server, load] = cores(row);
    return [
      row.name,
      Math.round(row.rps),
      fixed(row.p50),
      fixed(row.p99),
      Math.round(cpuPerRequest(row)),
      fixed(row.loadCpuMicros / row.requests, 0),
      Number.isFinite(load) ? `${fixed(server)} + ${fixed(load)}` : fixed(server),
      [...failed, ...(notes[row.id] ?? [])].join('; '),
    ];
  });
  return [
    `| target | req/s | p50 ms | p99 ms | server CPU µs/req | load CPU µs/req | cores server + load | targets |`,
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
  ];
}

function memoryTable(memory) {
  return [
    '| server | processes | RSS MB after the run | target |',
    '| --- | ---: | ---: | --- |',
    ...memory.map(({ name, processes, rssBytes }) => {
      const mb = rssBytes / 2 ** 20;
      const target =
        name === 'api' || name === 'apiMiss'
          ? `≤ ${RSS_LIMIT_MB} MB ${mb <= RSS_LIMIT_MB ? '✓' : '✗'}`
          : '';
      return `| ${name} | ${processes} | ${Math.round(mb)} | ${target} |`;
    }),
  ];
}

/** Prints the dated section and appends it to RESULTS.md unless BENCH_NO_RECORD=1. */
export async function record({ config, tool, results, memory, sessionBytes, minutes }) {
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const load =
    tool === 'wrk'
      ? `wrk -t1 -c${config.connections} -d${config.seconds}s`
      : `autocannon -c${config.connections} -d${config.seconds}`;
  const lines = [
    `## ${new Date().toISOString().slice(0, 10)} — ${machine}`,
    '',
    `${load} (logins: ${config.loginClients} connections), ${config.warmupSeconds} s warm-up per target, then the median of ${config.rounds} interleaved rounds (rotated); every server on this machine in production mode, LOG_LEVEL=warn, with the machine's PostgreSQL and Redis. Server CPU is user + system time of the server's process tree (/proc; PostgreSQL's and Redis's own CPU not included) over the requests completed; "load" is the load generator's own CPU; both share the machine's cores. ${minutes.toFixed(1)} min in all.`,
    '',
    "Floors and peers (`bench/peers/`), each doing the same job as its API row: node:http + one Redis GET; node:http + one prepared SELECT by primary key on a pg.Pool; Nest on Fastify with one global guard (cookie, one Redis GET) and a public /health; Express 5 + express-session + connect-redis; Better Auth with Redis as secondary storage. The argon2id row hashes with the API's parameters in a process of its own.",
    ...(process.env.BENCH_NOTE ? ['', process.env.BENCH_NOTE] : []),
    '',
    ...table(results),
    '',
    ...memoryTable(memory),
    '',
    `Redis memory per cached API session: ${sessionBytes} bytes.`,
    '',
  ];
  const options = { ...(await prettier.resolveConfig(RESULTS)), parser: 'markdown' };
  const text = await prettier.format(lines.join('\n'), options);
  process.stdout.write(text);
  if (process.env.BENCH_NO_RECORD !== '1') appendFileSync(RESULTS, `\n${text}`);
}
