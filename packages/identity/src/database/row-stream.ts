import type { Pool, PoolClient } from 'pg';
import QueryStream from 'pg-query-stream';
import { PassThrough, type Readable } from 'node:stream';
import type { DataSource } from 'typeorm';

/** A long read still ends: one report may take this long at most. */
const STREAM_MAX_MS = 3_600_000;
/** Rows fetched per round trip, and so the most held in memory by the cursor at once. */
const BATCH_ROWS = 1_000;

/**
 * Streams the rows of one SELECT with bounded memory (a server-side cursor, fetched in
 * batches as the consumer reads), on a connection of the DataSource's primary pool, inside
 * a read-only REPEATABLE READ transaction: the rows are one consistent snapshot, and the
 * statement cannot change anything. The connection's usual statement timeout would cut a
 * long export short, so it is raised for this transaction only, to STREAM_MAX_MS. The
 * connection goes back to the pool when the stream ends, fails or is destroyed.
 */
export function streamRows<Row>(
  dataSource: DataSource,
  sql: string,
  parameters: readonly unknown[],
): Readable & AsyncIterable<Row> {
  const output = new PassThrough({ objectMode: true, highWaterMark: BATCH_ROWS });
  const pool = (dataSource.driver as unknown as { master: Pool }).master;
  void pool.connect().then(
    (client) => pipeRows(client, sql, parameters, output),
    (error: Error) => output.destroy(error),
  );
  return output;
}

async function pipeRows(
  client: PoolClient,
  sql: string,
  parameters: readonly unknown[],
  output: PassThrough,
): Promise<void> {
  let failure: Error | undefined;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(
      `SELECT set_config('statement_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $1, true)`,
      [String(STREAM_MAX_MS)],
    );
    const rows = new QueryStream(sql, [...parameters], { batchSize: BATCH_ROWS });
    // pg bounds every query by the pool's client-side timeout; this one by STREAM_MAX_MS.
    Object.assign(rows, { query_timeout: STREAM_MAX_MS });
    const done = new Promise<void>((resolve, reject) => {
      rows.once('end', resolve).once('error', reject);
      output.once('close', () => {
        if (!rows.destroyed) rows.destroy();
        resolve();
      });
    });
    client.query(rows);
    rows.pipe(output);
    await done;
    await client.query('COMMIT');
  } catch (error) {
    failure = error instanceof Error ? error : new Error(String(error));
    output.destroy(failure);
  } finally {
    // A connection whose cursor failed midway is not handed out again.
    client.release(failure);
  }
}
