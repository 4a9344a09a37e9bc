import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Database } from '../src/common/app-context.js';
import { startApiProcess, waitUntilReady } from './support/api-process.js';
import { testDatabaseUrl, testEnv } from './support/test-env.js';

const PASSWORD = 'a-password-no-log-may-hold';

/** The JSON lines a process wrote, parsed. */
function logLines(stdout: string): Array<Record<string, unknown>> {
  return stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the log of a request that fails in the database', () => {
  it('names the error but holds none of its values: no parameters, no failing row', async () => {
    const email = `log-probe-${randomUUID()}@example.test`;
    const constraint = `log_probe_${randomUUID().replaceAll('-', '')}`;
    const identity = new pg.Client({ connectionString: testDatabaseUrl(Database.Identity) });
    await identity.connect();
    // Registration of this one address fails on insert, with the password hash among the
    // statement's parameters and in the failing row PostgreSQL describes.
    await identity.query(
      `ALTER TABLE users ADD CONSTRAINT ${constraint} CHECK (email <> '${email}') NOT VALID`,
    );
    const api = await startApiProcess(testEnv({ LOG_LEVEL: 'info', APP_CONTEXTS: 'web' }));
    try {
      await waitUntilReady(api);
      const response = await fetch(`http://127.0.0.1:${api.port}/web/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password: PASSWORD }),
      });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({
        statusCode: 500,
        error: 'Internal Server Error',
        message: 'Internal server error',
        requestId: expect.any(String),
      });
    } finally {
      api.child.kill('SIGINT');
      await api.exited;
      await identity.query(`ALTER TABLE users DROP CONSTRAINT IF EXISTS ${constraint}`);
      await identity.end();
    }

    const stdout = api.stdout();
    // The error is there, with what it takes to find its cause ...
    const logged = logLines(stdout).find(
      (line) => (line.err as { constraint?: unknown } | undefined)?.constraint === constraint,
    );
    expect(logged?.err).toEqual(
      expect.objectContaining({ type: 'QueryFailedError', code: '23514', table: 'users' }),
    );
    // ... and none of the values it carried: the hash, the address, the failing row.
    expect(stdout).not.toContain('$argon2');
    expect(stdout).not.toContain(email);
    expect(stdout).not.toContain(PASSWORD);
    expect(stdout).not.toContain('Failing row');
  }, 60_000);
});
