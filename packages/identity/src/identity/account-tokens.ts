import { Injectable } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { TokenPurpose } from './entities/index.js';

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A token as mailed: 32 random bytes, base64url (43 characters). */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/**
 * One-time tokens mailed to users (`account_tokens`): random, kept only as their sha256,
 * good once and until they expire; a newer token of the same purpose voids the older ones.
 */
@Injectable()
export class AccountTokens {
  /** A new token for the user, in the caller's transaction; older unused ones of that purpose go. */
  async issue(
    manager: EntityManager,
    userId: string,
    purpose: TokenPurpose,
    lifetimeMs: number,
  ): Promise<string> {
    await this.voidAll(manager, userId, purpose);
    const token = randomBytes(32).toString('base64url');
    await manager.query(
      `INSERT INTO account_tokens (token_hash, user_id, purpose, expires_at)
       VALUES ($1, $2, $3, now() + make_interval(secs => $4::float8 / 1000))`,
      [hashOf(token), userId, purpose, lifetimeMs],
    );
    return token;
  }

  /** A new token (see `issue`) as the link a mail carries: `page` with `?token=…`. */
  async issueLink(
    manager: EntityManager,
    userId: string,
    purpose: TokenPurpose,
    lifetimeMs: number,
    page: string,
  ): Promise<string> {
    const link = new URL(page);
    link.searchParams.set('token', await this.issue(manager, userId, purpose, lifetimeMs));
    return link.toString();
  }

  /**
   * Uses the token, in the caller's transaction: the user it was issued to, when it is of this
   * purpose, unused, unexpired and its user not disabled; otherwise undefined. Two uses at
   * once: one wins (the row is marked conditionally).
   */
  async use(
    manager: EntityManager,
    token: string,
    purpose: TokenPurpose,
  ): Promise<string | undefined> {
    if (!TOKEN_SHAPE.test(token)) return undefined;
    const rows: Array<{ user_id: string }> = await manager.query(
      `WITH used AS (
         UPDATE account_tokens t SET used_at = now()
         FROM users u
         WHERE t.token_hash = $1 AND t.purpose = $2 AND t.used_at IS NULL
           AND t.expires_at > now() AND u.id = t.user_id AND u.disabled_at IS NULL
         RETURNING t.user_id)
       SELECT user_id FROM used`,
      [hashOf(token), purpose],
    );
    return rows[0]?.user_id;
  }

  /** Voids the user's unused tokens of a purpose (a newer one, or a password change). */
  async voidAll(manager: EntityManager, userId: string, purpose: TokenPurpose): Promise<void> {
    await manager.query(
      `DELETE FROM account_tokens WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL`,
      [userId, purpose],
    );
  }
}
