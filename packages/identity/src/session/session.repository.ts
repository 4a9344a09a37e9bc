import type { Readable } from 'node:stream';
import type { DataSource, EntityManager } from 'typeorm';
import { poolQuery } from '../database/pool-query.js';
import { streamRows } from '../database/row-stream.js';
import type { PrincipalSource } from './principal-source.js';
import type { ClientInfo, Principal, SessionState, SessionSummary } from './session.types.js';

/** Which sessions a revocation applies to; only those still active are touched. */
export interface RevocationFilter {
  readonly id?: string;
  readonly userId?: string;
  readonly context?: string;
  /** Any of these contexts (an empty list matches none). */
  readonly contexts?: readonly string[];
  readonly exceptId?: string;
}

export interface RevokedSession {
  readonly id: string;
  readonly context: string;
  readonly userId: string;
  /** When it would have expired: its cache entry cannot outlive this. */
  readonly expiresAt: number;
}

interface SessionRow {
  session_user_id: string;
  session_created_at: Date;
  session_expires_at: Date;
}

const ACTIVE = 'NOT s.revoked AND s.expires_at > now()';

const SUMMARY_COLUMNS =
  's.id, s.application_context, s.created_at, s.last_activity, s.expires_at, s.ip_address, s.user_agent, s.session_data';

interface SummaryRow {
  id: string;
  application_context: string;
  created_at: Date;
  last_activity: Date;
  expires_at: Date;
  ip_address: string | null;
  user_agent: string | null;
  session_data: Record<string, unknown> | null;
}

function summaryOf(row: SummaryRow): SessionSummary {
  return {
    id: row.id,
    context: row.application_context,
    createdAt: row.created_at,
    lastActivity: row.last_activity,
    expiresAt: row.expires_at,
    ipAddress: row.ip_address,
    userAgent: row.user_agent,
    data: row.session_data ?? {},
  };
}

/**
 * Every SQL statement that touches `sessions` is here; users and permissions are reached
 * only through the PrincipalSource. The statements on a request's path are prepared on
 * the pool; statements that change rows are wrapped in a SELECT so that they return plain
 * rows.
 */
export class SessionRepository {
  private readonly findActiveSql: string;
  private readonly findPrincipalSql: string;

  constructor(
    private readonly dataSource: DataSource,
    private readonly principals: PrincipalSource,
  ) {
    this.findActiveSql = `SELECT s.user_id AS session_user_id, s.created_at AS session_created_at,
        s.expires_at AS session_expires_at, p.*
      FROM sessions s CROSS JOIN LATERAL (${principals.sql('s.user_id', 's.application_context')}) p
      WHERE s.id = $1 AND s.application_context = $2 AND ${ACTIVE}`;
    this.findPrincipalSql = `SELECT p.* FROM (${principals.sql('$1::uuid', '$2::varchar')}) p`;
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insert(
    session: SessionState,
    client: ClientInfo,
    data: Readonly<Record<string, unknown>> = {},
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO sessions (id, user_id, application_context, created_at, last_activity, expires_at, ip_address, user_agent, session_data)
       VALUES ($1, $2, $3, $4, $4, $5, $6, $7, $8)`,
      [
        session.id,
        session.userId,
        session.context,
        new Date(session.createdAt),
        new Date(session.expiresAt),
        client.ipAddress,
        client.userAgent,
        data,
      ],
    );
  }

  /** The cache-miss path: one prepared SELECT by primary key, returning the session and its user. */
  async findActive(
    id: string,
    context: string,
  ): Promise<{ session: SessionState; user: Principal } | undefined> {
    const rows = await poolQuery<SessionRow>(
      this.dataSource,
      'session_find_active',
      this.findActiveSql,
      [id, context],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      session: {
        id,
        context,
        userId: row.session_user_id,
        createdAt: row.session_created_at.getTime(),
        expiresAt: row.session_expires_at.getTime(),
      },
      user: this.principals.read(row as unknown as Record<string, unknown>),
    };
  }

  async findPrincipal(userId: string, context: string): Promise<Principal | undefined> {
    const rows = await poolQuery<Record<string, unknown>>(
      this.dataSource,
      'session_find_principal',
      this.findPrincipalSql,
      [userId, context],
    );
    return rows[0] === undefined ? undefined : this.principals.read(rows[0]);
  }

  /**
   * Slides the expiry, only while the session is active and not already extended past
   * `unlessBeyond` (so concurrent requests write once). Returns the expiry now in force,
   * or undefined when the session is no longer active.
   */
  async extend(
    id: string,
    context: string,
    expiresAt: number,
    unlessBeyond: number,
  ): Promise<number | undefined> {
    const rows = await poolQuery<{ expires_at: Date; active: boolean }>(
      this.dataSource,
      'session_extend',
      `WITH extended AS (
         UPDATE sessions SET expires_at = $3, last_activity = now()
         WHERE id = $1 AND application_context = $2 AND NOT revoked AND expires_at > now() AND expires_at < $4
         RETURNING expires_at, true AS active)
       SELECT expires_at, active FROM extended
       UNION ALL
       SELECT expires_at, NOT revoked AND expires_at > now() FROM sessions
       WHERE id = $1 AND application_context = $2 AND NOT EXISTS (SELECT 1 FROM extended)`,
      [id, context, new Date(expiresAt), new Date(unlessBeyond)],
    );
    const row = rows[0];
    return row?.active === true ? row.expires_at.getTime() : undefined;
  }

  /** The user's active sessions, newest first; in one context, or in every one. */
  async listActive(userId: string, context?: string): Promise<SessionSummary[]> {
    const rows: SummaryRow[] = await this.dataSource.query(
      `SELECT ${SUMMARY_COLUMNS} FROM sessions s
       WHERE s.user_id = $1 AND ($2::varchar IS NULL OR s.application_context = $2) AND ${ACTIVE}
       ORDER BY created_at DESC`,
      [userId, context ?? null],
    );
    return rows.map(summaryOf);
  }

  /**
   * A keyset page of the user's active sessions in one context, newest first: at most `limit`,
   * after the session `after` (the last of the previous page) when given.
   */
  async pageActive(
    userId: string,
    context: string,
    page: { readonly limit: number; readonly after?: string },
  ): Promise<SessionSummary[]> {
    const rows: SummaryRow[] = await this.dataSource.query(
      `SELECT ${SUMMARY_COLUMNS} FROM sessions s
       WHERE s.user_id = $1 AND s.application_context = $2 AND ${ACTIVE}
         AND ($3::varchar IS NULL OR (s.created_at, s.id) <
           (SELECT c.created_at, c.id FROM sessions c WHERE c.id = $3 AND c.user_id = $1))
       ORDER BY s.created_at DESC, s.id DESC
       LIMIT $4`,
      [userId, context, page.after ?? null, page.limit],
    );
    return rows.map(summaryOf);
  }

  /** The newest `perContext` active sessions of the user in each context, and how many each has. */
  async newestActive(
    userId: string,
    perContext: number,
  ): Promise<{ sessions: SessionSummary[]; counts: Record<string, number> }> {
    const rows: Array<SummaryRow & { rank: number; total: number }> = await this.dataSource.query(
      `SELECT * FROM (
         SELECT ${SUMMARY_COLUMNS},
           row_number() OVER (PARTITION BY application_context ORDER BY created_at DESC, id DESC)::int AS rank,
           count(*) OVER (PARTITION BY application_context)::int AS total
         FROM sessions s WHERE s.user_id = $1 AND ${ACTIVE}) ranked
       WHERE rank <= $2
       ORDER BY created_at DESC, id DESC`,
      [userId, perContext],
    );
    const counts: Record<string, number> = {};
    for (const row of rows) counts[row.application_context] = row.total;
    return { sessions: rows.map(summaryOf), counts };
  }

  /** Whether a session is active now (not revoked, not expired), read from PostgreSQL. */
  async isActive(id: string, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM sessions s WHERE s.id = $1 AND ${ACTIVE}`,
      [id],
    );
    return rows.length > 0;
  }

  /**
   * Marks matching active sessions revoked, inside the caller's transaction. Their expiry
   * becomes now, so the purge job removes them with the expired ones.
   */
  async revoke(manager: EntityManager, filter: RevocationFilter): Promise<RevokedSession[]> {
    const conditions = ['NOT revoked', 'expires_at > now()'];
    const parameters: unknown[] = [];
    const add = (sql: string, value: unknown) => {
      parameters.push(value);
      conditions.push(sql.replace('?', `$${parameters.length}`));
    };
    if (filter.id !== undefined) add('id = ?', filter.id);
    if (filter.userId !== undefined) add('user_id = ?', filter.userId);
    if (filter.context !== undefined) add('application_context = ?', filter.context);
    if (filter.contexts !== undefined) add('application_context = ANY(?)', [...filter.contexts]);
    if (filter.exceptId !== undefined) add('id <> ?', filter.exceptId);
    if (filter.id === undefined && filter.userId === undefined) {
      throw new Error('A revocation names a session or a user');
    }
    const rows: Array<{
      id: string;
      application_context: string;
      user_id: string;
      expires_at: Date;
    }> = await manager.query(
      `WITH target AS (
           SELECT id, expires_at FROM sessions WHERE ${conditions.join(' AND ')} FOR UPDATE),
         revoked AS (
           UPDATE sessions s SET revoked = true, revoked_at = now(), expires_at = now()
           FROM target WHERE s.id = target.id
           RETURNING s.id, s.application_context, s.user_id, target.expires_at)
         SELECT id, application_context, user_id, expires_at FROM revoked`,
      parameters,
    );
    return rows.map((row) => ({
      id: row.id,
      context: row.application_context,
      userId: row.user_id,
      expiresAt: row.expires_at.getTime(),
    }));
  }

  /** Active sessions per context. */
  async countActiveByContext(): Promise<Record<string, number>> {
    const rows: Array<{ application_context: string; count: number }> = await this.dataSource.query(
      `SELECT application_context, count(*)::int AS count FROM sessions s WHERE ${ACTIVE} GROUP BY 1`,
    );
    return Object.fromEntries(rows.map((row) => [row.application_context, row.count]));
  }

  /** Sessions created in [from, to), oldest first, streamed (reports); ids are the stored hashes. */
  streamCreatedBetween(from: Date, to: Date): Readable & AsyncIterable<Record<string, unknown>> {
    return streamRows(
      this.dataSource,
      `SELECT id, user_id, application_context, created_at, last_activity, expires_at, revoked,
         revoked_at, ip_address, user_agent
       FROM sessions WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at, id`,
      [from, to],
    );
  }

  /** Deletes up to `limit` sessions that ended before `before`; returns how many. */
  async purgeEndedBefore(before: Date, limit: number): Promise<number> {
    const rows: Array<{ count: number }> = await this.dataSource.query(
      `WITH purged AS (
         DELETE FROM sessions WHERE id IN (
           SELECT id FROM sessions WHERE expires_at < $1 LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING 1)
       SELECT count(*)::int AS count FROM purged`,
      [before, limit],
    );
    return rows[0]?.count ?? 0;
  }
}
