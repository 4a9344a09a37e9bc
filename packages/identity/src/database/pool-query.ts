import type { Pool, QueryResultRow } from 'pg';
import type { DataSource } from 'typeorm';

/**
 * Runs one statement on the DataSource's primary pool as a named prepared statement
 * (parsed and planned once per connection), without a TypeORM query runner per call: for
 * the statements on every request's path. The pool keeps the DataSource's timeouts.
 */
export async function poolQuery<Row extends QueryResultRow>(
  dataSource: DataSource,
  name: string,
  text: string,
  values: readonly unknown[],
): Promise<Row[]> {
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  const result = await pool.query<Row>({ name, text, values: [...values] });
  return result.rows;
}
