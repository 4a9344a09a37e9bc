import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import {
  type ClientInfo,
  type CreatedSession,
  type SessionState,
  SessionService,
} from '../session/index.js';
import { IDENTITY_DATA_SOURCE } from './identity.options.js';

const CODE_LIFETIME_MS = 10 * 60_000;
/** 128 random bits, base64url: 22 characters, usable in a `t.me/<bot>?start=CODE` link. */
const CODE_SHAPE = /^[A-Za-z0-9_-]{22}$/;

function hashOf(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

export interface RedeemedCode {
  readonly userId: string;
  readonly created: CreatedSession;
}

/**
 * One-time codes with which a session of one context opens a session of the same user in
 * another (a web session links a Telegram account). Codes are stored hashed, used at most
 * once, live ten minutes, and only while the issuing session is active: revoking it (in any
 * way) voids them.
 */
@Injectable()
export class LinkCodesService {
  constructor(
    @Inject(IDENTITY_DATA_SOURCE) private readonly dataSource: DataSource,
    private readonly sessions: SessionService,
  ) {}

  async issue(
    issuer: SessionState,
    forContext: string,
  ): Promise<{ code: string; expiresAt: Date }> {
    if (!this.sessions.contexts.includes(forContext))
      throw new Error(`Unknown session context: ${forContext}`);
    const code = randomBytes(16).toString('base64url');
    const expiresAt = new Date(Date.now() + CODE_LIFETIME_MS);
    await this.dataSource.query(
      `INSERT INTO link_codes (code_hash, user_id, session_id, context, expires_at)
       VALUES ($1, $2, $3, $4, $5)`,
      [hashOf(code), issuer.userId, issuer.id, forContext, expiresAt],
    );
    return { code, expiresAt };
  }

  /**
   * Uses the code and opens the session it stands for, in one transaction with `alongWith`
   * (the application's own record of the link): all of it happens, or none. A code that is
   * malformed, unknown, used, expired, for another context, or whose issuing session has
   * ended, is a 400.
   */
  async redeem(
    code: string,
    forContext: string,
    client: ClientInfo,
    data: Readonly<Record<string, unknown>> = {},
  ): Promise<RedeemedCode> {
    const invalid = new BadRequestException('code is unknown, used or expired');
    if (!CODE_SHAPE.test(code)) throw invalid;
    return this.dataSource.transaction(async (manager) => {
      const rows: Array<{ user_id: string }> = await manager.query(
        `WITH used AS (
           UPDATE link_codes c SET used_at = now()
           WHERE c.code_hash = $1 AND c.context = $2 AND c.used_at IS NULL AND c.expires_at > now()
             AND EXISTS (SELECT 1 FROM sessions s
                         WHERE s.id = c.session_id AND NOT s.revoked AND s.expires_at > now())
           RETURNING c.user_id)
         SELECT user_id FROM used`,
        [hashOf(code), forContext],
      );
      const userId = rows[0]?.user_id;
      if (userId === undefined) throw invalid;
      const created = await this.sessions.create(forContext, userId, client, { data, manager });
      return { userId, created };
    });
  }
}
