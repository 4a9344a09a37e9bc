import { BadRequestException, Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { lockUntilCommit } from '../database/advisory-lock.js';
import {
  type ClientInfo,
  type CreatedSession,
  SessionPurger,
  type SessionState,
  SessionService,
} from '../session/index.js';
import { IDENTITY_DATA_SOURCE } from './identity.options.js';
import { maskedEmail } from './masked-email.js';

const CODE_LIFETIME_MS = 10 * 60_000;
/** Live codes a user may hold: issuing one more voids the oldest. */
export const LIVE_CODES_PER_USER = 3;
/** Expired codes deleted per statement by the purge. */
const PURGE_BATCH = 1_000;
/** 128 random bits, base64url: 22 characters, usable in a `t.me/<bot>?start=CODE` link. */
const CODE_SHAPE = /^[A-Za-z0-9_-]{22}$/;
/** A code's reference: its sha256, as stored. */
const REFERENCE_SHAPE = /^[0-9a-f]{64}$/;

function hashOf(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

/** A code found good, not yet used. */
export interface FoundCode {
  /** Stands for the code in `redeem`: its sha256, so that the code itself need not be kept. */
  readonly reference: string;
  /** Whose account the code links to, masked (`j***@e***.com`). */
  readonly maskedEmail: string;
}

export interface RedeemedCode {
  readonly userId: string;
  readonly created: CreatedSession;
}

/** A good code: unused, unexpired, for the context, its issuing session active. */
const GOOD_CODE = `c.code_hash = $1 AND c.context = $2 AND c.used_at IS NULL AND c.expires_at > now()
  AND EXISTS (SELECT 1 FROM sessions s
              WHERE s.id = c.session_id AND NOT s.revoked AND s.expires_at > now())`;

/**
 * One-time codes with which a session of one context opens a session of the same user in
 * another (a web session links a Telegram account). Codes are stored hashed, used at most
 * once, live ten minutes, and only while the issuing session is active: revoking it (in any
 * way) voids them, and a password change voids all of the user's. A user holds at most
 * LIVE_CODES_PER_USER: a new one voids the oldest. Expired codes go with the session purge.
 */
@Injectable()
export class LinkCodesService implements OnModuleInit {
  constructor(
    @Inject(IDENTITY_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly sessions: SessionService,
    private readonly purger: SessionPurger,
  ) {}

  onModuleInit(): void {
    this.purger.purgeAlong(() => this.purgeExpired());
  }

  async issue(
    issuer: SessionState,
    forContext: string,
  ): Promise<{ code: string; expiresAt: Date }> {
    if (!this.sessions.contexts.includes(forContext))
      throw new Error(`Unknown session context: ${forContext}`);
    const code = randomBytes(16).toString('base64url');
    const expiresAt = new Date(Date.now() + CODE_LIFETIME_MS);
    await this.dataSource.transaction(async (manager) => {
      // Issues of one user one at a time, so that the cap holds under concurrent requests.
      await lockUntilCommit(manager, `link-codes:${issuer.userId}`);
      // clock_timestamp(): taken under the lock, so a later issue is always the newer code.
      await manager.query(
        `INSERT INTO link_codes (code_hash, user_id, session_id, context, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, clock_timestamp())`,
        [hashOf(code), issuer.userId, issuer.id, forContext, expiresAt],
      );
      // All of the user's codes but the newest live ones: used, expired, or one too many.
      await manager.query(
        `DELETE FROM link_codes WHERE user_id = $1 AND code_hash NOT IN (
           SELECT code_hash FROM link_codes
           WHERE user_id = $1 AND used_at IS NULL AND expires_at > now()
           ORDER BY created_at DESC LIMIT $2)`,
        [issuer.userId, LIVE_CODES_PER_USER],
      );
    });
    return { code, expiresAt };
  }

  /**
   * Looks a code up without using it: whose account it would link, masked, and the
   * reference with which to redeem it. Undefined when the code is not good (see redeem).
   */
  async find(code: string, forContext: string): Promise<FoundCode | undefined> {
    if (!CODE_SHAPE.test(code)) return undefined;
    const reference = hashOf(code);
    const rows: Array<{ email: string }> = await this.dataSource.query(
      `SELECT u.email FROM link_codes c JOIN users u ON u.id = c.user_id WHERE ${GOOD_CODE}`,
      [reference, forContext],
    );
    const email = rows[0]?.email;
    return email === undefined ? undefined : { reference, maskedEmail: maskedEmail(email) };
  }

  /**
   * Uses the code `reference` stands for (see find) and opens the session it stands for,
   * in one transaction: all of it happens, or none. A code that is unknown, used, expired,
   * for another context, or whose issuing session has ended, is a 400.
   */
  async redeem(
    reference: string,
    forContext: string,
    client: ClientInfo,
    data: Readonly<Record<string, unknown>> = {},
  ): Promise<RedeemedCode> {
    const invalid = new BadRequestException('code is unknown, used or expired');
    if (!REFERENCE_SHAPE.test(reference)) throw invalid;
    return this.dataSource.transaction(async (manager) => {
      const rows: Array<{ user_id: string }> = await manager.query(
        // In a CTE: TypeORM returns an UPDATE's rows and count together, a SELECT's rows alone.
        `WITH used AS (UPDATE link_codes c SET used_at = now() WHERE ${GOOD_CODE} RETURNING c.user_id)
         SELECT user_id FROM used`,
        [reference, forContext],
      );
      const userId = rows[0]?.user_id;
      if (userId === undefined) throw invalid;
      const created = await this.sessions.create(forContext, userId, client, { data, manager });
      return { userId, created };
    });
  }

  /** Voids every code of the user (a password change), in the caller's transaction. */
  async voidAll(userId: string, manager: EntityManager): Promise<void> {
    await manager.query('DELETE FROM link_codes WHERE user_id = $1', [userId]);
  }

  /** Deletes expired codes (used ones expire too), in bounded batches; returns how many. */
  async purgeExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows: Array<{ count: number }> = await this.dataSource.query(
        `WITH purged AS (
           DELETE FROM link_codes WHERE code_hash IN (
             SELECT code_hash FROM link_codes WHERE expires_at <= now()
             LIMIT $1 FOR UPDATE SKIP LOCKED)
           RETURNING 1)
         SELECT count(*)::int AS count FROM purged`,
        [PURGE_BATCH],
      );
      const deleted = rows[0]?.count ?? 0;
      total += deleted;
      if (deleted < PURGE_BATCH) return total;
    }
  }
}
