import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { Database } from '../common/app-context.js';

const CODE_LIFETIME_MS = 10 * 60_000;

function hashOf(code: string): string {
  return createHash('sha256').update(code).digest('hex');
}

/** One-time codes that link a Telegram account to a user; stored hashed, used at most once. */
@Injectable()
export class TelegramLinkService {
  constructor(@InjectDataSource(Database.Identity) private readonly dataSource: DataSource) {}

  /** A new code for the user: 128 random bits, usable in a `t.me/…?start=CODE` link. */
  async issue(userId: string): Promise<{ code: string; expiresAt: Date }> {
    const code = randomBytes(16).toString('base64url');
    const expiresAt = new Date(Date.now() + CODE_LIFETIME_MS);
    await this.dataSource.query(
      'INSERT INTO telegram_link_codes (code_hash, user_id, expires_at) VALUES ($1, $2, $3)',
      [hashOf(code), userId, expiresAt],
    );
    return { code, expiresAt };
  }

  /** Marks the code used and returns its user; undefined for unknown, used or expired codes. */
  async consume(code: string): Promise<string | undefined> {
    const rows: Array<{ user_id: string }> = await this.dataSource.query(
      `WITH used AS (
         UPDATE telegram_link_codes SET used_at = now()
         WHERE code_hash = $1 AND used_at IS NULL AND expires_at > now()
         RETURNING user_id)
       SELECT user_id FROM used`,
      [hashOf(code)],
    );
    return rows[0]?.user_id;
  }
}
