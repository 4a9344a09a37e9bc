// One load run against one URL with wrk (C, one thread) or, without wrk, autocannon (in this
// process): throughput, latency, failures, and the CPU the load generator itself spent.
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { exited, spawnTracked } from './children.mjs';
import { reapedChildrenCpuMicros } from './proc.mjs';

function wrkInstalled() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (error) {
    return error.status === 1; // wrk --version prints its version and exits 1
  }
}

/** wrk when installed: on two cores it leaves the servers more CPU than autocannon does. */
export const TOOL = process.env.BENCH_LOAD_TOOL ?? (wrkInstalled() ? 'wrk' : 'autocannon');
if (!['wrk', 'autocannon'].includes(TOOL))
  throw new Error(`BENCH_LOAD_TOOL=${TOOL}: wrk or autocannon`);

const BODY_SCRIPT = fileURLToPath(new URL('../wrk-body.lua', import.meta.url));

/**
 * Runs the load and returns { requests, rps, p50, p99 (ms), failures, loadCpuMicros }.
 * `failures` counts non-2xx answers and socket errors alike. A POST sends `body`, or, with
 * `bodies` ({ script, env, next }), a new body per request: wrk runs the Lua `script` with
 * `env`, autocannon calls `next()`.
 */
export function runLoad({ url, method = 'GET', headers = {}, body, bodies, connections, seconds }) {
  return TOOL === 'wrk'
    ? wrk({ url, method, headers, body, bodies, connections, seconds })
    : autocannonRun({ url, method, headers, body, bodies, connections, seconds });
}

async function wrk({ url, method, headers, body, bodies, connections, seconds }) {
  const args = [
    '-t1',
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    ...Object.entries(headers).flatMap(([name, value]) => ['-H', `${name}: ${value}`]),
    ...(method === 'GET' ? [] : ['-s', bodies?.script ?? BODY_SCRIPT]),
    url,
  ];
  const cpuBefore = reapedChildrenCpuMicros();
  const child = spawnTracked('wrk', args, {
    env: { WRK_METHOD: method, WRK_BODY: body ?? '', ...bodies?.env },
    stdout: 'pipe',
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => (output += chunk));
  const code = await exited(child);
  // wrk has been reaped now, so its CPU time has moved into this process's children total.
  const loadCpuMicros = reapedChildrenCpuMicros() - cpuBefore;
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${output}`);
  const number = (pattern) => Number(pattern.exec(output)?.[1] ?? 0);
  // Latency lines look like "     99%    1.02s " (wrk pads the unit column).
  const ms = (label) => {
    const match = new RegExp(`^\\s+${label}\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm').exec(output);
    if (match === null) throw new Error(`no ${label} latency in wrk's output:\n${output}`);
    return Number(match[1]) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[match[2]];
  };
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/
    .exec(output)
    ?.slice(1)
    .reduce((sum, count) => sum + Number(count), 0);
  return {
    requests: number(/(\d+) requests in/),
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50: ms('50%'),
    p99: ms('99%'),
    failures: number(/Non-2xx or 3xx responses: (\d+)/) + (socketErrors ?? 0),
    loadCpuMicros,
  };
}

async function autocannonRun({ url, method, headers, body, bodies, connections, seconds }) {
  const cpuBefore = process.cpuUsage();
  // One body per line of `body`, sent in turn across all connections, as the wrk script does
  // (a list of `requests` would have every connection walk it from the first line in step,
  // so all of them would log in to one account at once); or one from `bodies`.
  const lines = (body ?? '').split('\n').filter(Boolean);
  let turn = 0;
  const next =
    bodies !== undefined
      ? () => bodies.next()
      : lines.length > 1
        ? () => lines[turn++ % lines.length]
        : undefined;
  const perRequest =
    next === undefined
      ? { body }
      : { requests: [{ setupRequest: (request) => ({ ...request, body: next() }) }] };
  const result = await autocannon({
    url,
    method,
    headers,
    connections,
    duration: seconds,
    ...perRequest,
  });
  const cpu = process.cpuUsage(cpuBefore);
  return {
    requests: result.requests.total,
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts,
    loadCpuMicros: cpu.user + cpu.system,
  };
}

/** The median round by req/s (the lower middle one for an even count). */
export function medianRound(results) {
  const sorted = [...results].sort((a, b) => a.rps - b.rps);
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
