import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const MAIN = 'dist/main.js';

/** The API as `npm start` runs it, in a child process (the build comes from `npm test`'s pretest). */
export interface ApiProcess {
  readonly child: ChildProcess;
  readonly port: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Starts `dist/main.js` of the checkout in `cwd` (this one by default). */
export async function startApiProcess(
  env: NodeJS.ProcessEnv,
  cwd = process.cwd(),
): Promise<ApiProcess> {
  if (!existsSync(join(cwd, MAIN)))
    throw new Error(`${MAIN} is missing: run npm run build (npm test does)`);
  const port = Number(env.PORT ?? (await freePort()));
  const child = spawn(process.execPath, [MAIN], {
    cwd,
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, port, stdout: () => out, stderr: () => err, exited };
}

/** Polls /health/ready until it answers 200; returns the milliseconds it took. */
export async function waitUntilReady(api: ApiProcess, timeoutMs = 30_000): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (api.child.exitCode !== null) {
      throw new Error(`API exited (${api.child.exitCode}): ${api.stderr()}${api.stdout()}`);
    }
    const ok = await fetch(`http://127.0.0.1:${api.port}/health/ready`).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ok) return Date.now() - started;
    await sleep(100);
  }
  throw new Error(`API not ready within ${timeoutMs} ms: ${api.stdout()}`);
}
