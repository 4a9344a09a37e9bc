import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { lstat, readdir, readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { RELOCATION_ROOT } from '../src/database/embedded-postgres-placement.js';
import {
  type ApiProcess,
  freePort,
  startApiProcess,
  waitUntilReady,
} from './support/api-process.js';
import { type PrivateCheckout, privateCheckout } from './support/private-checkout.js';
import { testEnv } from './support/test-env.js';

const ADMIN = { email: 'first-admin@example.test', password: 'first admin password' };
const SECRET_PASSWORD = 'never-in-the-logs-0123';

/** Processes whose command line mentions `text` (the embedded server names its data folder). */
function processesMentioning(text: string): string[] {
  try {
    return execFileSync('pgrep', ['-af', text], { encoding: 'utf8' }).trim().split('\n');
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

describe('the API process', () => {
  it('exits non-zero with one line naming a malformed variable, before connecting', async () => {
    const api = await startApiProcess(testEnv({ DATABASE_WEB_URL: 'notaurl' }));
    expect(await api.exited).toBe(1);
    const lines = api.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^Invalid configuration: DATABASE_WEB_URL: /);
    expect(api.stdout()).toBe('');
  });

  describe('with no configuration (embedded PostgreSQL, in-memory cache)', () => {
    // As CI and containers run it: as root, cloned into a folder only root can enter.
    let checkout: PrivateCheckout;
    let env: NodeJS.ProcessEnv;
    const dataDirs = new Set<string>();
    const started: ApiProcess[] = [];
    /** Starts the API of a checkout; one a failed test leaves running is stopped after. */
    async function start(cwd: string): Promise<ApiProcess> {
      const api = await startApiProcess(env, cwd);
      started.push(api);
      return api;
    }
    const asRoot = process.getuid?.() === 0;

    beforeAll(async () => {
      checkout = await privateCheckout();
      env = {
        EMBEDDED_POSTGRES_PORT: String(await freePort()),
        LOG_LEVEL: 'info',
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
      };
    });
    afterAll(async () => {
      for (const api of started.filter(
        (each) => each.child.exitCode === null && each.child.signalCode === null,
      )) {
        api.child.kill('SIGINT'); // it stops its embedded server too
        await api.exited;
      }
      await rm(checkout.parent, { recursive: true, force: true });
      // Data kept outside the checkout, where the postgres account can reach it.
      for (const dataDir of dataDirs) {
        if (dataDir.startsWith(`${RELOCATION_ROOT}/data/`))
          await rm(dirname(dataDir), { recursive: true, force: true });
      }
    });

    /** Where the process says its data lives. */
    function dataDirOf(api: ApiProcess): string {
      const dataDir = /"msg":"Embedded PostgreSQL data in ([^"]+)"/.exec(api.stdout())?.[1];
      if (dataDir === undefined) throw new Error(`no data folder logged: ${api.stdout()}`);
      dataDirs.add(dataDir);
      return dataDir;
    }

    async function identityDatabase(dataDir: string): Promise<pg.Client> {
      const password = (await readFile(`${dataDir}.password`, 'utf8')).trim();
      const client = new pg.Client({
        connectionString: `postgres://postgres:${password}@127.0.0.1:${env.EMBEDDED_POSTGRES_PORT}/exchanger_identity`,
      });
      await client.connect();
      return client;
    }

    /** The first admin can log in; a user registers and uses a session with every kind of secret. */
    async function useTheApi(port: number) {
      const base = `http://127.0.0.1:${port}`;
      const post = (path: string, body: object, headers: Record<string, string> = {}) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
      expect((await post('/admin/auth/login', ADMIN)).status).toBe(200);
      const registered = await post('/web/auth/register', {
        email: `logs-${randomUUID()}@example.test`,
        password: SECRET_PASSWORD,
      });
      expect(registered.status).toBe(201);
      const token =
        /web_session=([^;]+)/.exec(registered.headers.get('set-cookie') ?? '')?.[1] ?? '';
      tokens.push(token);
      const me = await fetch(`${base}/web/auth/me?token=${token}`, {
        headers: { cookie: `web_session=${token}`, authorization: `Bearer ${token}` },
      });
      expect(me.status).toBe(200);
      await post('/web/auth/login', { email: 'nobody@example.test', password: SECRET_PASSWORD });
    }

    const tokens: string[] = [];

    /** JSON lines; every request line carries its id; no password, token or cookie anywhere. */
    function checkLogs(stdout: string) {
      const lines = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { req?: { id?: string }; event?: string });
      const requestLines = lines.filter((line) => line.req !== undefined);
      expect(requestLines.length).toBeGreaterThanOrEqual(5);
      for (const line of requestLines) expect(line.req?.id).toMatch(/^[0-9a-f-]{36}$/);
      // Lines the application logs while serving a request carry its id too.
      const failedLogin = lines.find((line) => line.event === 'login.failed');
      expect(failedLogin?.req?.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(stdout).not.toContain(SECRET_PASSWORD);
      expect(stdout).not.toContain(ADMIN.password);
      for (const token of tokens) expect(stdout).not.toContain(token);
    }

    async function stopWithCtrlC(api: ApiProcess, dataDir: string) {
      api.child.kill('SIGINT');
      expect(await api.exited).toBe(0);
      expect(processesMentioning(dataDir)).toEqual([]);
    }

    /** Files and folders anyone may write, symbolic links aside (their mode means nothing). */
    async function worldWritable(root: string): Promise<string[]> {
      const found: string[] = [];
      for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
        const path = join(entry.parentPath, entry.name);
        if (!entry.isSymbolicLink() && ((await lstat(path)).mode & 0o002) !== 0) found.push(path);
      }
      return found;
    }

    it('prints a first admin, when nothing is configured, who can log in to the admin panel', async () => {
      const fresh = await privateCheckout();
      try {
        const api = await startApiProcess(
          { EMBEDDED_POSTGRES_PORT: String(await freePort()), LOG_LEVEL: 'info' },
          fresh.checkout,
        );
        started.push(api);
        await waitUntilReady(api, 60_000);
        const dataDir = dataDirOf(api);
        const printed = /First admin: (\S+)\s+password: (\S+)/.exec(api.stdout());
        expect(printed?.[1]).toBe('admin@exchanger.localhost');
        const login = await fetch(`http://127.0.0.1:${api.port}/admin/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ email: printed?.[1], password: printed?.[2] }),
        });
        expect(login.status).toBe(200);
        await stopWithCtrlC(api, dataDir);
      } finally {
        await rm(fresh.parent, { recursive: true, force: true });
      }
    });

    it('boots, migrates, keeps its data across a restart and leaves no process behind', async () => {
      expect((await stat(checkout.parent)).mode & 0o777).toBe(0o700);
      const email = `embedded-${randomUUID()}@example.test`;

      const first = await start(checkout.checkout);
      const firstBootMs = await waitUntilReady(first, 60_000);
      const dataDir = dataDirOf(first);
      // The postgres account cannot enter the private folder: the data lives where it can.
      if (asRoot) expect(dataDir.startsWith(checkout.parent)).toBe(false);
      else expect(dataDir).toBe(join(checkout.checkout, '.data', 'postgres'));
      const ready = await fetch(`http://127.0.0.1:${first.port}/health/ready`);
      const report = (await ready.json()) as { details: Record<string, unknown> };
      expect(report.details.cache).toEqual({ status: 'up', store: 'memory' });
      const db = await identityDatabase(dataDir);
      const tables = await db.query(`SELECT to_regclass('public.sessions') AS t`);
      expect(tables.rows[0].t).toBe('sessions');
      await db.query(`INSERT INTO users (email, password_hash, role) VALUES ($1, 'x', 'user')`, [
        email,
      ]);
      await db.end();
      expect(first.stdout()).toContain('caching in process memory');
      await useTheApi(first.port);

      // Another checkout on the same port neither shares this server nor its data folder:
      // it stops with one line saying what to do.
      const other = await privateCheckout();
      try {
        const second = await start(other.checkout);
        expect(await second.exited).toBe(1);
        expect(dataDirOf(second)).not.toBe(dataDir);
        expect(second.stderr().trim().split('\n')).toEqual([
          expect.stringMatching(/port \d+: it is in use.*set EMBEDDED_POSTGRES_PORT/),
        ]);
        expect(`${second.stdout()}${second.stderr()}`).not.toMatch(/\n\s+at /);
      } finally {
        await rm(other.parent, { recursive: true, force: true });
      }
      expect((await fetch(`http://127.0.0.1:${first.port}/health/ready`)).status).toBe(200);

      await stopWithCtrlC(first, dataDir);
      checkLogs(first.stdout());

      const second = await start(checkout.checkout);
      const secondBootMs = await waitUntilReady(second);
      expect(dataDirOf(second)).toBe(dataDir);
      const again = await identityDatabase(dataDir);
      const kept = await again.query('SELECT email FROM users WHERE email = $1', [email]);
      await again.end();
      expect(kept.rows).toEqual([{ email }]);
      await stopWithCtrlC(second, dataDir);

      expect(await worldWritable(dirname(dataDir))).toEqual([]);
      if (asRoot) expect(await worldWritable(RELOCATION_ROOT)).toEqual([]);
      console.info(`embedded boot: first ${firstBootMs} ms (initdb), restart ${secondBootMs} ms`);
    }, 180_000);
  });
});
