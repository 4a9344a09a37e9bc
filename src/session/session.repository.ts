import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { type AppContext, Database } from '../common/app-context.js';
import type { ClientInfo, Principal, SessionState, SessionSummary } from './session.types.js';

interface PrincipalRow {
  id: string;
  email: string;
  role: string;
  email_verified: boolean;
  permissions: string[];
}

interface SessionRow extends PrincipalRow {
  user_id: string;
  created_at: Date;
  expires_at: Date;
}

/** Which sessions a revocation applies to; only those still active are touched. */
export interface RevocationFilter {
  readonly id?: string;
  readonly userId?: string;
  readonly context?: AppContext;
  readonly exceptId?: string;
}

export interface RevokedSession {
  readonly id: string;
  readonly context: AppContext;
  readonly userId: string;
  /** When it would have expired: its cache entry cannot outlive this. */
  readonly expiresAt: number;
}

/** The user's permissions in one context, unexpired. */
const PERMISSIONS_OF_USER = `ARRAY(
  SELECT p.permission FROM user_permissions p
  WHERE p.user_id = u.id AND p.application_context = $2
    AND (p.expires_at IS NULL OR p.expires_at > now())
  ORDER BY p.permission) AS permissions`;

function toPrincipal(row: PrincipalRow): Principal {
  return {
    id: row.id,
    email: row.email,
    role: row.role,
    emailVerified: row.email_verified,
    permissions: row.permissions,
  };
}

/**
 * Every SQL statement that touches `sessions` is here. Statements that change rows are
 * wrapped in a SELECT so that they return plain rows through TypeORM.
 */
@Injectable()
export class SessionRepository {
  constructor(@InjectDataSource(Database.Identity) private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insert(session: SessionState, client: ClientInfo): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO sessions (id, user_id, application_context, created_at, last_activity, expires_at, ip_address, user_agent)
       VALUES ($1, $2, $3, $4, $4, $5, $6, $7)`,
      [
        session.id,
        session.userId,
        session.context,
        new Date(session.createdAt),
        new Date(session.expiresAt),
        client.ipAddress,
        client.userAgent,
      ],
    );
  }

  /** The cache-miss path: one indexed lookup (primary key) returning the session and its user. */
  async findActive(
    id: string,
    context: AppContext,
  ): Promise<{ session: SessionState; user: Principal } | undefined> {
    const rows: SessionRow[] = await this.dataSource.query(
      `SELECT s.user_id, s.created_at, s.expires_at, u.id, u.email, u.role, u.email_verified, ${PERMISSIONS_OF_USER}
       FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id = $1 AND s.application_context = $2 AND NOT s.revoked AND s.expires_at > now()`,
      [id, context],
    );
    const row = rows[0];
    if (row === undefined) return undefined;
    return {
      session: {
        id,
        context,
        userId: row.user_id,
        createdAt: row.created_at.getTime(),
        expiresAt: row.expires_at.getTime(),
      },
      user: toPrincipal(row),
    };
  }

  async findPrincipal(userId: string, context: AppContext): Promise<Principal | undefined> {
    const rows: PrincipalRow[] = await this.dataSource.query(
      `SELECT u.id, u.email, u.role, u.email_verified, ${PERMISSIONS_OF_USER} FROM users u WHERE u.id = $1`,
      [userId, context],
    );
    return rows[0] === undefined ? undefined : toPrincipal(rows[0]);
  }

  /**
   * Slides the expiry, only while the session is active and not already extended past
   * `unlessBeyond` (so concurrent requests write once). Returns the expiry now in force,
   * or undefined when the session is no longer active.
   */
  async extend(
    id: string,
    context: AppContext,
    expiresAt: number,
    unlessBeyond: number,
  ): Promise<number | undefined> {
    const rows: Array<{ expires_at: Date; active: boolean }> = await this.dataSource.query(
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

  async listActive(userId: string, context: AppContext): Promise<SessionSummary[]> {
    const rows: Array<{
      id: string;
      created_at: Date;
      last_activity: Date;
      expires_at: Date;
      ip_address: string | null;
      user_agent: string | null;
    }> = await this.dataSource.query(
      `SELECT id, created_at, last_activity, expires_at, ip_address, user_agent FROM sessions
       WHERE application_context = $1 AND user_id = $2 AND NOT revoked AND expires_at > now()
       ORDER BY created_at DESC`,
      [context, userId],
    );
    return rows.map((row) => ({
      id: row.id,
      createdAt: row.created_at,
      lastActivity: row.last_activity,
      expiresAt: row.expires_at,
      ipAddress: row.ip_address,
      userAgent: row.user_agent,
    }));
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
    if (filter.exceptId !== undefined) add('id <> ?', filter.exceptId);
    if (filter.id === undefined && filter.userId === undefined) {
      throw new Error('A revocation names a session or a user');
    }
    const rows: Array<{
      id: string;
      application_context: AppContext;
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
