import type { DataSource, EntityManager } from 'typeorm';
import { withClaimedRows } from '../background/index.js';
import type { Invalidation } from './session-cache.js';

interface InvalidationRow {
  readonly id: string;
  readonly cache_key: string;
  readonly expires_at: Date;
}

/**
 * `cache_invalidations`: each cache invalidation is written here in the same transaction
 * as the change it follows (a revoked session, a changed user) and removed once Redis has
 * applied it. Rows left behind — Redis away, or the process gone between commit and
 * Redis — are applied by whichever process drains next.
 */
export class InvalidationOutbox {
  constructor(private readonly dataSource: DataSource) {}

  async record(manager: EntityManager, invalidations: readonly Invalidation[]): Promise<string[]> {
    if (invalidations.length === 0) return [];
    const rows: Array<{ id: string }> = await manager.query(
      `INSERT INTO cache_invalidations (cache_key, expires_at)
       SELECT * FROM unnest($1::varchar[], $2::timestamptz[]) RETURNING id`,
      [invalidations.map((i) => i.key), invalidations.map((i) => new Date(i.expiresAt))],
    );
    return rows.map((row) => row.id);
  }

  async remove(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.dataSource.query(
      `WITH removed AS (DELETE FROM cache_invalidations WHERE id = ANY($1::bigint[]) RETURNING 1)
       SELECT count(*) FROM removed`,
      [ids],
    );
  }

  /** Drops rows whose cache entries have expired anyway. */
  async discardMoot(): Promise<void> {
    await this.dataSource.query(
      `WITH removed AS (DELETE FROM cache_invalidations WHERE expires_at <= now() RETURNING 1)
       SELECT count(*) FROM removed`,
    );
  }

  /** Invalidations that still matter (their entry could still be cached). */
  async pending(): Promise<number> {
    const rows: Array<{ count: number }> = await this.dataSource.query(
      'SELECT count(*)::int AS count FROM cache_invalidations WHERE expires_at > now()',
    );
    return rows[0]?.count ?? 0;
  }

  /**
   * Applies one batch with `apply` and deletes it, in one transaction: if `apply` fails
   * the rows stay. Rows another process is applying are skipped. Moot rows are dropped.
   * Returns how many rows were handled.
   */
  async drainBatch(
    apply: (invalidations: Invalidation[]) => Promise<void>,
    limit = 500,
  ): Promise<number> {
    const handled = await withClaimedRows<InvalidationRow, number>(
      this.dataSource,
      `SELECT id, cache_key, expires_at FROM cache_invalidations
       ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [limit],
      async (rows, manager) => {
        await apply(
          rows.map((row) => ({ key: row.cache_key, expiresAt: row.expires_at.getTime() })),
        );
        await manager.query(
          `WITH removed AS (DELETE FROM cache_invalidations WHERE id = ANY($1::bigint[]) RETURNING 1)
           SELECT count(*) FROM removed`,
          [rows.map((row) => row.id)],
        );
        return rows.length;
      },
    );
    return handled ?? 0;
  }
}
