import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, startApiProcess, waitUntilReady } from './support/api-process.js';
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
    let root: string;
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'exchanger-embedded-'));
      // The server runs as the postgres user when the tests run as root.
      await chmod(root, 0o755);
      env = {
        EMBEDDED_POSTGRES_DIR: join(root, 'postgres'),
        EMBEDDED_POSTGRES_PORT: String(await freePort()),
        LOG_LEVEL: 'info',
        ADMIN_EMAIL: ADMIN.email,
        ADMIN_PASSWORD: ADMIN.password,
      };
    });
    afterAll(() => rm(root, { recursive: true, force: true }));

    async function identityDatabase(): Promise<pg.Client> {
      const password = (await readFile(join(root, 'postgres.password'), 'utf8')).trim();
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

    async function stopWithCtrlC(api: Awaited<ReturnType<typeof startApiProcess>>) {
      api.child.kill('SIGINT');
      expect(await api.exited).toBe(0);
      expect(processesMentioning(root)).toEqual([]);
    }

    it('boots, migrates, keeps its data across a restart and leaves no process behind', async () => {
      const email = `embedded-${randomUUID()}@example.test`;

      const first = await startApiProcess(env);
      const firstBootMs = await waitUntilReady(first, 60_000);
      const ready = await fetch(`http://127.0.0.1:${first.port}/health/ready`);
      const report = (await ready.json()) as { details: Record<string, unknown> };
      expect(report.details.cache).toEqual({ status: 'up', store: 'memory' });
      const db = await identityDatabase();
      const tables = await db.query(`SELECT to_regclass('public.sessions') AS t`);
      expect(tables.rows[0].t).toBe('sessions');
      await db.query(`INSERT INTO users (email, password_hash) VALUES ($1, 'x')`, [email]);
      await db.end();
      expect(first.stdout()).toContain('caching in process memory');
      await useTheApi(first.port);
      await stopWithCtrlC(first);
      checkLogs(first.stdout());

      const second = await startApiProcess(env);
      const secondBootMs = await waitUntilReady(second);
      const again = await identityDatabase();
      const kept = await again.query('SELECT email FROM users WHERE email = $1', [email]);
      await again.end();
      expect(kept.rows).toEqual([{ email }]);
      await stopWithCtrlC(second);

      console.info(`embedded boot: first ${firstBootMs} ms (initdb), restart ${secondBootMs} ms`);
    }, 120_000);
  });
});
