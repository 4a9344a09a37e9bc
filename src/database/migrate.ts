import type { DataSource } from 'typeorm';

/** Any constant works; it only has to be the same in every process. */
const MIGRATION_LOCK_KEY = 7_412_358_001;

/**
 * Applies pending migrations under a PostgreSQL advisory lock, so several processes
 * starting together migrate once and the others wait, then find nothing to do.
 * Returns the names of the migrations applied.
 */
export async function runPendingMigrations(dataSource: DataSource): Promise<string[]> {
  const lock = dataSource.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await lock.release();
  }
}
