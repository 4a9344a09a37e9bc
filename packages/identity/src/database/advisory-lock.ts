import type { DataSource, EntityManager } from 'typeorm';

/**
 * Runs `work` while holding a PostgreSQL advisory lock named `name` (session-level, on a
 * connection of its own), so that processes starting together do it one at a time. The
 * key is derived from the name: no magic numbers to keep apart.
 */
export async function withAdvisoryLock<T>(
  dataSource: DataSource,
  name: string,
  work: () => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [name]);
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
