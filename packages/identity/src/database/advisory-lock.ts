import { setTimeout as sleep } from 'node:timers/promises';
import type { DataSource, EntityManager } from 'typeorm';

/** How often a process waiting for an advisory lock tries again. */
const RETRY_MS = 100;

/**
 * Runs `work` while holding a PostgreSQL advisory lock named `name` (session-level, on a
 * connection of its own), so that processes starting together do it one at a time. The
 * key is derived from the name: no magic numbers to keep apart.
 *
 * A waiting process tries again and again rather than blocking in `pg_advisory_lock`: a
 * blocked statement is an open transaction, and `CREATE INDEX CONCURRENTLY` in the holder's
 * work waits for every open transaction to end — the two would wait for each other forever.
 */
export async function withAdvisoryLock<T>(
  dataSource: DataSource,
  name: string,
  work: () => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    for (;;) {
      const rows = (await runner.query(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [name],
      )) as Array<{ locked: boolean }>;
      if (rows[0]?.locked === true) break;
      await sleep(RETRY_MS);
    }
    return await work();
  } finally {
    await runner
      .query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [name])
      .catch(() => undefined);
    await runner.release();
  }
}

/**
 * Takes the advisory lock named `name` until the caller's transaction ends: changes that
 * check a rule across rows (a count) then run one at a time, each seeing the others'.
 */
export async function lockUntilCommit(manager: EntityManager, name: string): Promise<void> {
  await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [name]);
}
