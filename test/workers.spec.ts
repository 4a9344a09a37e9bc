import { execFileSync } from 'node:child_process';
import { get } from 'node:http';
import { loadConfig } from '../src/config/app-config.js';
import { type ApiProcess, startApiProcess, waitUntilReady } from './support/api-process.js';
import { eventually } from './support/eventually.js';
import { testEnv } from './support/test-env.js';
import { PASSWORD, uniqueEmail } from './support/users.js';

/** A GET on a connection of its own (none kept alive to a worker that may die). */
function statusOf(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    get(url, { agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on('error', reject);
  });
}

/** The children of a process (pgrep exits 1 when there are none). */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map(Number);
  } catch {
    return [];
  }
}

describe('WORKERS: several processes on one port', () => {
  it('refuses more than one worker without Redis (each would cache sessions alone)', () => {
    expect(() => loadConfig(testEnv({ WORKERS: '2', REDIS_URL: '' }))).toThrow(
      /^WORKERS: above 1 needs REDIS_URL/,
    );
    expect(loadConfig(testEnv({ WORKERS: 'auto' })).workers).toBeGreaterThanOrEqual(1);
    expect(() => loadConfig(testEnv({ WORKERS: '0' }))).toThrow(/^WORKERS: must be auto or/);
  });

  describe('with two workers', () => {
    let api: ApiProcess;
    const url = (path: string) => `http://127.0.0.1:${api.port}${path}`;
    const post = (path: string, body: object, cookie?: string) =>
      fetch(url(path), {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(cookie && { cookie }) },
        body: JSON.stringify(body),
      });

    beforeAll(async () => {
      api = await startApiProcess(testEnv({ WORKERS: '2', LOG_LEVEL: 'info' }));
      await waitUntilReady(api, 60_000);
      // Both listening, not only the first: the port is shared among those that are.
      await eventually(
        () => Promise.resolve(api.stdout().split('"msg":"Listening on').length - 1 === 2),
        60_000,
      );
    });
    afterAll(() => {
      if (api.child.exitCode === null) {
        for (const pid of childrenOf(api.child.pid ?? 0)) process.kill(pid, 'SIGKILL');
        api.child.kill('SIGKILL');
      }
    });

    it('serves from both, and a logout on one is refused by the other at once', async () => {
      expect(childrenOf(api.child.pid ?? 0)).toHaveLength(2);
      const email = uniqueEmail('workers');
      await post('/web/auth/register', { email, password: PASSWORD });
      const login = await post('/web/auth/login', { email, password: PASSWORD });
      const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      const me = () => fetch(url('/web/auth/me'), { headers: { cookie } }).then((r) => r.status);
      expect(await Promise.all(Array.from({ length: 40 }, me))).toEqual(Array(40).fill(200));
      const servedBy = new Set(
        api
          .stdout()
          .split('\n')
          .filter((line) => line.includes('"path":"/web/auth/me"'))
          .map((line) => (JSON.parse(line) as { pid: number }).pid),
      );
      expect(servedBy.size).toBe(2);
      expect((await post('/web/auth/logout', {}, cookie)).status).toBe(204);
      expect(await Promise.all(Array.from({ length: 40 }, me))).toEqual(Array(40).fill(401));
    });

    it('replaces a worker that dies, and keeps serving meanwhile', async () => {
      const [victim] = childrenOf(api.child.pid ?? 0);
      process.kill(victim ?? 0, 'SIGKILL');
      await eventually(() => Promise.resolve(/died \(SIGKILL\); replacing it/.test(api.stdout())));
      // While the replacement starts, new connections reach the worker that is left.
      const during = await Promise.all(Array.from({ length: 20 }, () => statusOf(url('/health'))));
      expect(during).toEqual(Array(20).fill(200));
      await eventually(() => {
        const now = childrenOf(api.child.pid ?? 0);
        return Promise.resolve(now.length === 2 && !now.includes(victim ?? 0));
      });
      await eventually(async () => (await statusOf(url('/health/ready'))) === 200);
    });

    it('stops every worker on SIGTERM and exits 0, leaving no process', async () => {
      const workers = childrenOf(api.child.pid ?? 0);
      api.child.kill('SIGTERM');
      expect(await api.exited).toBe(0);
      expect(workers.length).toBeGreaterThan(0);
      await eventually(() => Promise.resolve(workers.every((pid) => !isAlive(pid))), 2_000);
    });
  });
});

/** Whether a process of that id exists (signal 0 checks without sending anything). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
