import { errorText, ThrottledWarning } from '@exchanger/identity';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';

const replicaWarning = new ThrottledWarning(new Logger('Database'));

/**
 * Runs a read that tolerates replication lag (aggregates, reports) on a read replica of
 * `dataSource` when it has any (DATABASE_<DB>_REPLICA_URLS), on the primary otherwise.
 * A replica that cannot answer (down, or cancelling the query for recovery) costs a
 * second try on the primary, never the request: a query that is wrong fails there too.
 *
 * Never use it for what a client has just written, or for anything that grants access
 * (sessions, permissions): a lagging replica would answer from before the change.
 */
export async function readFromReplica<T>(
  dataSource: DataSource,
  sql: string,
  parameters: readonly unknown[],
): Promise<T[]> {
  const values = [...parameters];
  if (!dataSource.driver.isReplicated) return dataSource.query<T[]>(sql, values);
  const replica = dataSource.createQueryRunner('slave');
  try {
    return (await replica.query(sql, values)) as T[];
  } catch (error) {
    replicaWarning.warn(`Read replica failed, read from the primary instead: ${errorText(error)}`);
    return dataSource.query<T[]>(sql, values);
  } finally {
    await replica.release();
  }
}
