import type { DataSource, EntityManager } from 'typeorm';
import { errorText } from './error-text.js';

/**
 * Runs `work` on the rows `claimSql` selects, in one transaction that holds them: the claim
 * must end in `FOR UPDATE SKIP LOCKED`, so that workers of every process share a queue
 * without waiting for each other, and the transaction is the lease — a worker that dies
 * lets go of its rows with its connection. `work` writes through the manager it is given,
 * so whatever it changes commits or rolls back with the rows' new state. Nothing claimed:
 * `work` is not called and the answer is undefined.
 */
export function withClaimedRows<Row, Result>(
  dataSource: DataSource,
  claimSql: string,
  parameters: readonly unknown[],
  work: (rows: Row[], manager: EntityManager) => Promise<Result>,
): Promise<Result | undefined> {
  return dataSource.transaction(async (manager) => {
    const rows: Row[] = await manager.query(claimSql, [...parameters]);
    if (rows.length === 0) return undefined;
    return work(rows, manager);
  });
}

/** A queue's table and its key column. */
export interface QueueTable {
  readonly table: string;
  readonly key: string;
}

/**
 * Schedules claimed rows for another try after `delayMs`: counts the attempt, keeps the
 * error's text (`attempts`, `last_error`, `available_at` — the columns every queue has).
 */
export async function retryLater(
  manager: EntityManager,
  { table, key }: QueueTable,
  keys: readonly string[],
  error: unknown,
  delayMs: number,
): Promise<void> {
  await manager.query(
    `UPDATE ${table} SET attempts = attempts + 1, last_error = $2,
       available_at = now() + make_interval(secs => $3::float8 / 1000)
     WHERE ${key} = ANY($1)`,
    [keys, errorText(error), delayMs],
  );
}

/**
 * Deletes one batch of the rows `where` selects (rows done with, past their keeping time),
 * skipping rows a worker holds, so that a purge never waits for the queue's work; returns
 * how many went. Call again while it returns `limit`.
 */
export async function purgeBatch(
  dataSource: DataSource,
  { table, key }: QueueTable,
  where: string,
  parameters: readonly unknown[],
  limit = 1_000,
): Promise<number> {
  const rows: Array<{ count: number }> = await dataSource.query(
    `WITH purged AS (
       DELETE FROM ${table} WHERE ${key} IN (
         SELECT ${key} FROM ${table} WHERE ${where} LIMIT ${limit} FOR UPDATE SKIP LOCKED)
       RETURNING 1)
     SELECT count(*)::int AS count FROM purged`,
    [...parameters],
  );
  return rows[0]?.count ?? 0;
}
