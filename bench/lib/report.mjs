// The bench's table: one row per target with each product target's ratio and whether it
// holds (bench/lib/targets.mjs), appended to RESULTS.md; the same run's figures in
// bench/latest.json for `npm run bench:check`.
import { appendFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';
import { describe, judge, RSS_LIMIT_MB } from './targets.mjs';

const RESULTS = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
export const LATEST = fileURLToPath(new URL('../latest.json', import.meta.url));

const cpuPerRequest = (row) => row.serverCpuMicros / row.requests;
const fixed = (value, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : '—');

/** "≤ 0.10 × login p50: **0.03** ✓" */
function atMost(label, value, limit) {
  return `≤ ${limit.toFixed(2)} × ${label}: **${fixed(value)}** ${value <= limit ? '✓' : '✗'}`;
}

/** A run's figures as bench/latest.json keeps them: rows by id, RSS MB by server. */
export function summarise(results, memory) {
  const rows = Object.fromEntries(
    [...results.values()].map((row) => [
      row.id,
      {
        name: row.name,
        rps: row.rps,
        p50: row.p50,
        p99: row.p99,
        cpuPerRequest: cpuPerRequest(row),
        requests: row.requests,
        failuresInRounds: row.failuresInRounds,
      },
    ]),
  );
  const memoryMb = Object.fromEntries(
    memory.map(({ name, rssBytes }) => [name, rssBytes / 2 ** 20]),
  );
  return { rows, memory: memoryMb };
}

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

/** The targets column, per row id: the product's targets, then what each row adds. */
function targetNotes(results, memory) {
  const { rows, memory: memoryMb } = summarise(results, memory);
  const notes = {};
  for (const outcome of judge(rows, memoryMb))
    if (outcome.value !== undefined) (notes[outcome.target.row] ??= []).push(describe(outcome));
  const { apiMe, apiLogin, apiWorkers, apiCluster, botWebhook } = Object.fromEntries(results);
  const add = (id, note) => (notes[id] ??= []).push(note);
  if (botWebhook !== undefined)
    add(
      'botWebhook',
      `every update handled ${fixed(botWebhook.drainSeconds, 1)} s after the load: ${fixed(
        botWebhook.requests / (botWebhook.wallSeconds + botWebhook.drainSeconds),
        0,
      )} updates/s end to end (replies then leave at Telegram's 30/s)`,
    );
  if (apiCluster !== undefined && apiMe !== undefined)
    add(
      'apiCluster',
      `× one Redis: **${fixed(apiCluster.rps / apiMe.rps)}**, CPU/req **${fixed(cpuPerRequest(apiCluster) / cpuPerRequest(apiMe))}**`,
    );
  if (apiLogin !== undefined) add('apiLogin', eventLoopCheck(apiLogin.probe, apiLogin));
  if (apiWorkers !== undefined && apiMe !== undefined) {
    const [server, load] = cores(apiWorkers);
    const [oneServer, oneLoad] = cores(apiMe);
    notes.apiWorkers = [
      `× 1 process: **${fixed(apiWorkers.rps / apiMe.rps)}**`,
      `cores server + load ${fixed(server)} + ${fixed(load)} (1 process: ${fixed(oneServer)} + ${fixed(oneLoad)})`,
    ];
  }
  return notes;
}

function table(results, memory) {
  const notes = targetNotes(results, memory);
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

/**
 * Prints the dated section and appends it to RESULTS.md unless BENCH_NO_RECORD=1; writes the
 * run's figures to bench/latest.json either way.
 */
export async function record({
  config,
  tool,
  apiNodeFlags,
  results,
  memory,
  sessionBytes,
  minutes,
}) {
  const date = new Date().toISOString();
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim()}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const load =
    tool === 'wrk'
      ? `wrk -t1 -c${config.connections} -d${config.seconds}s`
      : `autocannon -c${config.connections} -d${config.seconds}`;
  const lines = [
    `## ${date.slice(0, 10)} — ${machine}`,
    '',
    `${load} (logins: ${config.loginClients} connections), ${config.warmupSeconds} s warm-up per target, then the median of ${config.rounds} interleaved rounds (rotated); every server on this machine in production mode, LOG_LEVEL=warn, with the machine's PostgreSQL and Redis. Server CPU is user + system time of the server's process tree (/proc; PostgreSQL's and Redis's own CPU not included) over the requests completed; "load" is the load generator's own CPU; both share the machine's cores. ${minutes.toFixed(1)} min in all.`,
    '',
    `The API rows run the product as shipped: \`node ${apiNodeFlags.join(' ')} dist/main.js\` (the flags of \`npm start\` and the image).${config.only === undefined ? '' : ` Only these rows: ${config.only.join(', ')}.`}`,
    '',
    "Floors and peers (`bench/peers/`), each doing the same job as its API row: node:http + one Redis GET; node:http + one named prepared SELECT by primary key on a pg.Pool; Nest on Fastify with one global guard (cookie, one Redis GET) and a public /health (the bare-Nest floor); the same plus the API's per-request features written plainly (helmet's middleware, a request id in an AsyncLocalStorage echoed as X-Request-Id, a second global guard reading permissions from route metadata, the user-and-session answer with ISO dates, as the API answers /me); Express 5 + express-session + connect-redis, touching (GET + EXPIRE per request) and with `disableTouch` (GET only); Better Auth with Redis as secondary storage. The argon2id row hashes with the API's parameters in a process of its own.",
    ...(process.env.BENCH_NOTE ? ['', process.env.BENCH_NOTE] : []),
    '',
    ...table(results, memory),
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
  const latest = { date, machine, tool, config, apiNodeFlags, ...summarise(results, memory) };
  const jsonOptions = { ...(await prettier.resolveConfig(LATEST)), parser: 'json' };
  writeFileSync(LATEST, await prettier.format(JSON.stringify(latest), jsonOptions));
}
