// npm run bench:heap: the young-generation trade-off. The same product (dist/main.js, bot
// off) started once per heap setting, side by side; cached `GET /web/auth/me` on each, in
// interleaved rounds (the median by req/s is reported): req/s, server CPU µs per request,
// p99, and each process's RSS after the run. Prints the table and appends it, dated, to
// bench/RESULTS.md (unless BENCH_NO_RECORD=1). HEAP_SECONDS (5) and HEAP_ROUNDS (2) per row,
// BENCH_CONNECTIONS (50); the build is the script's first step (package.json).
import { appendFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import prettier from 'prettier';
import { stopAll } from './lib/children.mjs';
import { medianRound, runLoad, TOOL } from './lib/load.mjs';
import { treeCpuMicros, treeRssBytes } from './lib/proc.mjs';
import {
  API_NODE_FLAGS,
  REDIS,
  apiServer,
  migrateApi,
  prepareDatabases,
  registerAndLogIn,
  startPlan,
} from './lib/setup.mjs';
import { RSS_LIMIT_MB } from './lib/targets.mjs';

const RESULTS = fileURLToPath(new URL('RESULTS.md', import.meta.url));
const seconds = Number(process.env.HEAP_SECONDS ?? 5);
const rounds = Number(process.env.HEAP_ROUNDS ?? 2);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 50);
const OLD_SPACE = '--max-old-space-size=256';

/** Young-generation sizes (MB per semi-space), the old space as shipped; then Node's defaults. */
const SETTINGS = [
  ...[8, 16, 32].map((mb) => [`--max-semi-space-size=${mb}`, OLD_SPACE]),
  [OLD_SPACE],
  [],
];
const label = (flags) => {
  const text = flags.length === 0 ? "(none: Node's defaults)" : flags.join(' ');
  return flags.join(' ') === API_NODE_FLAGS.join(' ') ? `${text} — as shipped` : text;
};

async function measure(server, cookie) {
  const cpuBefore = treeCpuMicros(server.child.pid);
  const load = await runLoad({
    url: `${server.url}/web/auth/me`,
    headers: { cookie },
    connections,
    seconds,
  });
  return { ...load, cpuPerRequest: (treeCpuMicros(server.child.pid) - cpuBefore) / load.requests };
}

async function main() {
  await prepareDatabases();
  migrateApi();
  const plan = Object.fromEntries(
    SETTINGS.map((flags, index) => [`heap${index}`, apiServer(REDIS, 1, { flags })]),
  );
  const servers = Object.values(await startPlan(plan));
  const { cookie } = await registerAndLogIn(servers[0].url);
  await sleep(3_500); // the API refuses cache refills for 3 s after a change
  for (const server of servers) {
    const warm = await runLoad({
      url: `${server.url}/web/auth/me`,
      headers: { cookie },
      connections,
      seconds: 3,
    });
    if (warm.failures > 0) throw new Error(`${warm.failures} warm-up requests failed`);
  }
  const measured = servers.map(() => []);
  for (let round = 0; round < rounds; round++)
    for (let index = 0; index < servers.length; index++) {
      const which = (index + round) % servers.length;
      measured[which].push(await measure(servers[which], cookie));
      await sleep(500);
    }
  const rows = servers.map((server, index) => ({
    flags: SETTINGS[index],
    ...medianRound(measured[index]),
    failures: measured[index].reduce((sum, each) => sum + each.failures, 0),
    rssMb: treeRssBytes(server.child.pid) / 2 ** 20,
  }));
  const shipped = rows.find((row) => row.flags.join(' ') === API_NODE_FLAGS.join(' ')) ?? rows[0];
  const tool =
    TOOL === 'wrk'
      ? `wrk -t1 -c${connections} -d${seconds}s`
      : `autocannon -c${connections} -d${seconds}`;
  const lines = [
    `## ${new Date().toISOString().slice(0, 10)} — heap flags (\`npm run bench:heap\`)`,
    '',
    `Cached \`GET /web/auth/me\` on one API process per setting (bot off, WORKERS=1), all running side by side: ${tool}, 3 s warm-up each, the median of ${rounds} interleaved rounds; RSS of each process after all rounds.`,
    '',
    '| node flags | req/s | × as shipped | server CPU µs/req | p99 ms | RSS MB after | RSS target |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...rows.map(
      (row) =>
        `| ${label(row.flags)}${row.failures > 0 ? ` **(${row.failures} failed)**` : ''} | ${Math.round(row.rps)} | ${(row.rps / shipped.rps).toFixed(2)} | ${Math.round(row.cpuPerRequest)} | ${row.p99.toFixed(2)} | ${Math.round(row.rssMb)} | ≤ ${RSS_LIMIT_MB} ${row.rssMb <= RSS_LIMIT_MB ? '✓' : '✗'} |`,
    ),
    '',
  ];
  const options = { ...(await prettier.resolveConfig(RESULTS)), parser: 'markdown' };
  const text = await prettier.format(lines.join('\n'), options);
  process.stdout.write(text);
  if (process.env.BENCH_NO_RECORD !== '1') appendFileSync(RESULTS, `\n${text}`);
}

try {
  await main();
} finally {
  await stopAll();
}
