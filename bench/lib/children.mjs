// The processes a bench run starts: each is tracked from spawn on, and all of them are
// stopped on every way out (normal end, failure, Ctrl-C, SIGTERM).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { clearTimeout, setTimeout } from 'node:timers';
import { setTimeout as sleep } from 'node:timers/promises';

const running = new Set();
/** Settles when the process has ended and its output has been read to the end ('close'). */
const closed = new WeakMap();

/** Spawns a tracked process; stderr is passed through so a failing server explains itself. */
export function spawnTracked(command, args, { env = {}, stdout = 'ignore' } = {}) {
  const child = spawn(command, args, {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', stdout, 'inherit'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  // A process that could not start at all ('error') ends with exit code null.
  closed.set(
    child,
    once(child, 'close').catch(() => undefined),
  );
  return child;
}

/** Starts a server and waits until `ready()` resolves true (it may throw while starting). */
export async function startServer(name, command, args, env, ready, timeoutMs = 60_000) {
  const child = spawnTracked(command, args, { env });
  for (let waited = 0; waited < timeoutMs; waited += 100) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) while starting`);
    if (await ready().catch(() => false)) return child;
    await sleep(100);
  }
  throw new Error(`${name} was not ready after ${timeoutMs / 1000} s`);
}

/** Waits for a tracked process to end (and its output to be read) and returns its exit code. */
export async function exited(child) {
  await closed.get(child);
  return child.exitCode;
}

/** SIGTERM to every process still running (servers shut down gracefully), SIGKILL after 10 s. */
export async function stopAll() {
  await Promise.all(
    [...running].map(async (child) => {
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited(child);
      clearTimeout(killer);
    }),
  );
}

for (const [signal, number] of [
  ['SIGINT', 2],
  ['SIGTERM', 15],
]) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the bench's processes\n`);
    void stopAll().finally(() => process.exit(128 + number));
  });
}
// Last resort (e.g. an exit nobody planned): nothing started here outlives the run.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});
