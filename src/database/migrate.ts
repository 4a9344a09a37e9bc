import type { DataSource } from 'typeorm';
import { withAdvisoryLock } from '@exchanger/identity';
import type { Schema } from './data-source-options.js';

/**
 * Applies pending migrations under an advisory lock, so several processes starting
 * together migrate once and the others wait, then find nothing to do: a package's own
 * first (`schema.packageMigrations`), then the database's. Returns the names of the
 * migrations applied.
 */
export async function runPendingMigrations(
  dataSource: DataSource,
  schema: Pick<Schema, 'packageMigrations'> = {},
): Promise<string[]> {
  const fromPackage = (await schema.packageMigrations?.(dataSource)) ?? [];
  return withAdvisoryLock(dataSource, 'exchanger:migrations', async () => {
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return [...fromPackage, ...applied.map((migration) => migration.name)];
  });
}
