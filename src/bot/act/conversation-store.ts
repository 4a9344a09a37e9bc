import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { AppContext, CONTEXTS } from '../../common/app-context.js';
import { InjectStore, type NamespacedStore } from '../../redis/index.js';
import { BotCacheKeys } from '../cache-keys.js';
import { InjectBotDataSource } from '../../database/data-sources/bot.js';

/** A conversation row as the bot reads it (through `cache:telegram:conversations:{id}`). */
export interface ConversationState {
  readonly id: string;
  readonly telegramUserId: string;
  readonly userId: string | null;
  readonly sessionId: string | null;
  readonly state: string;
  readonly context: Record<string, unknown>;
  readonly notificationsEnabled: boolean;
  readonly blocked: boolean;
  /** Bumped by every write: a write based on an older read is refused. */
  readonly version: number;
}

/** One update's turn in a conversation: what an action changes and where it writes. */
export interface ConversationTurn {
  /** The transaction that marks the update handled: the bot database's writes go here. */
  readonly manager: EntityManager;
  /** The sender's conversation; replaced by every write. */
  conversation: ConversationState;
  /** Run once the transaction has committed (cache invalidations). */
  readonly afterCommit: Array<() => Promise<unknown>>;
}

/** A conversation is cached 24 hours (invalidated by every write). */
const CONVERSATION_CACHE_MS = 24 * 3_600_000;

const COLUMNS = `id, telegram_user_id, user_id, session_id, state, context, notifications_enabled,
  blocked_at IS NOT NULL AS blocked, version`;

interface ConversationRow {
  id: string;
  telegram_user_id: string;
  user_id: string | null;
  session_id: string | null;
  state: string;
  context: Record<string, unknown> | null;
  notifications_enabled: boolean;
  blocked: boolean;
  version: number;
}

function stateOf(row: ConversationRow): ConversationState {
  return {
    id: row.id,
    telegramUserId: String(row.telegram_user_id),
    userId: row.user_id,
    sessionId: row.session_id,
    state: row.state,
    context: row.context ?? {},
    notificationsEnabled: row.notifications_enabled,
    blocked: row.blocked,
    version: row.version,
  };
}

/** What a handler may change in a conversation. */
export interface ConversationChange {
  readonly state?: string;
  readonly context?: Record<string, unknown>;
  readonly link?: { readonly userId: string; readonly sessionId: string } | null;
  readonly notificationsEnabled?: boolean;
  readonly blocked?: false;
}

/**
 * The conversation was written since it was read (a cache that missed an invalidation):
 * the handling is rolled back and tried again on a fresh read.
 */
export class StaleConversationError extends Error {
  constructor(telegramUserId: string) {
    super(`The conversation of ${telegramUserId} changed since it was read`);
    this.name = 'StaleConversationError';
  }
}

/**
 * Conversations (`conversations`): one per Telegram user, created at their first update.
 * Read through `cache:telegram:conversations:{telegramUserId}` (race-free: every write
 * tombstones the entry once committed). Writes are conditional on the version read, so a
 * stale cache entry can never make a dialogue step on old state: such a write is refused
 * and the update handled again from the database.
 */
@Injectable()
export class ConversationStore {
  constructor(
    @InjectBotDataSource() private readonly dataSource: DataSource,
    @InjectStore(CONTEXTS[AppContext.Telegram].cacheNamespace)
    private readonly cache: NamespacedStore,
  ) {}

  /** The user's conversation, created on first contact; read through the cache. */
  open(telegramUserId: string): Promise<ConversationState> {
    return this.cache.readThrough(
      BotCacheKeys.conversation(telegramUserId),
      CONVERSATION_CACHE_MS,
      () => this.load(telegramUserId),
    );
  }

  /** The conversation linked to an identity user, from the database. */
  async findByUser(userId: string): Promise<ConversationState | undefined> {
    const rows: ConversationRow[] = await this.dataSource.query(
      `SELECT ${COLUMNS} FROM conversations WHERE user_id = $1`,
      [userId],
    );
    return rows[0] === undefined ? undefined : stateOf(rows[0]);
  }

  /**
   * Writes `change` inside the handling transaction, provided nobody wrote since `current`
   * was read; returns the new state. The cached entry is invalidated after the commit.
   */
  async update(
    manager: EntityManager,
    current: ConversationState,
    change: ConversationChange,
  ): Promise<ConversationState> {
    const sets: string[] = [];
    const values: unknown[] = [current.id, current.version];
    const set = (column: string, value: unknown) => {
      values.push(value);
      sets.push(`${column} = $${values.length}`);
    };
    if (change.state !== undefined) set('state', change.state);
    if (change.context !== undefined) set('context', change.context);
    if (change.notificationsEnabled !== undefined)
      set('notifications_enabled', change.notificationsEnabled);
    if (change.link !== undefined) {
      set('user_id', change.link?.userId ?? null);
      set('session_id', change.link?.sessionId ?? null);
    }
    if (change.blocked === false) sets.push('blocked_at = NULL');
    const rows: ConversationRow[] = await manager.query(
      `WITH written AS (
         UPDATE conversations SET ${[...sets, 'version = version + 1', 'updated_at = now()'].join(', ')}
         WHERE id = $1 AND version = $2 RETURNING ${COLUMNS})
       SELECT * FROM written`,
      values,
    );
    if (rows[0] === undefined) {
      await this.forget(current.telegramUserId);
      throw new StaleConversationError(current.telegramUserId);
    }
    return stateOf(rows[0]);
  }

  /**
   * Unlinks whichever other conversation holds this user (one Telegram account per user);
   * returns their Telegram user ids, whose cache entries must then be forgotten.
   */
  async releaseUser(
    manager: EntityManager,
    userId: string,
    exceptTelegramUserId: string,
  ): Promise<string[]> {
    const rows: Array<{ telegram_user_id: string }> = await manager.query(
      `WITH released AS (
         UPDATE conversations SET user_id = NULL, session_id = NULL, version = version + 1,
           updated_at = now()
         WHERE user_id = $1 AND telegram_user_id <> $2 RETURNING telegram_user_id)
       SELECT telegram_user_id FROM released`,
      [userId, exceptTelegramUserId],
    );
    return rows.map((row) => String(row.telegram_user_id));
  }

  /** Telegram said 403: the user blocked the bot. Their next update clears it. */
  async markBlocked(telegramUserId: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE conversations SET blocked_at = now(), version = version + 1, updated_at = now()
       WHERE telegram_user_id = $1 AND blocked_at IS NULL`,
      [telegramUserId],
    );
    await this.forget(telegramUserId);
  }

  /** Invalidates cached conversations (after a committed write). */
  async forget(...telegramUserIds: string[]): Promise<void> {
    if (telegramUserIds.length === 0) return;
    await this.cache.invalidate(...telegramUserIds.map(BotCacheKeys.conversation));
  }

  /** The row, created if absent, read outside any handling transaction (only committed state is cached). */
  private async load(telegramUserId: string): Promise<ConversationState> {
    const rows: ConversationRow[] = await this.dataSource.query(
      `WITH created AS (
         INSERT INTO conversations (telegram_user_id) VALUES ($1)
         ON CONFLICT (telegram_user_id) DO NOTHING RETURNING ${COLUMNS})
       SELECT * FROM created
       UNION ALL
       SELECT ${COLUMNS} FROM conversations WHERE telegram_user_id = $1`,
      [telegramUserId],
    );
    return stateOf(rows[0] as ConversationRow);
  }
}
