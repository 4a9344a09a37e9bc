import type { DataSource } from 'typeorm';
import { withAdvisoryLock } from '@exchanger/identity';

/**
 * Applies pending migrations under an advisory lock, so several processes starting
 * together migrate once and the others wait, then find nothing to do. Returns the names
 * of the migrations applied.
 */
export async function runPendingMigrations(dataSource: DataSource): Promise<string[]> {
  return withAdvisoryLock(dataSource, 'exchanger:migrations', async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((migration) => migration.name);
  });
}
