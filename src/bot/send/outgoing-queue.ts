import { purgeBatch } from '@exchanger/identity';
import { Injectable } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { InjectBotDataSource } from '../../database/data-sources/bot.js';

export type OutgoingMethod = 'sendMessage' | 'editMessageText' | 'answerCallbackQuery';

/** A Bot API call to make on the user's behalf, as queued. */
export interface OutgoingCall {
  readonly method: OutgoingMethod;
  /** The chat it concerns (a private chat's id is the user's): calls to one chat go in order. */
  readonly chatId: string;
  /** The parameters besides `chat_id`. */
  readonly payload: Record<string, unknown>;
  /** Where to record the delivered message in `messages`. */
  readonly conversationId?: string;
  readonly notificationId?: string;
  /** Dropped when it could not go out within this long; never, when absent. */
  readonly expiresInMs?: number;
}

/** A queued call, as a sender holds it. */
export interface ClaimedCall {
  readonly id: string;
  readonly method: OutgoingMethod;
  readonly chatId: string;
  readonly payload: Record<string, unknown>;
  readonly conversationId: string | null;
  readonly notificationId: string | null;
  readonly expired: boolean;
  /** An earlier try may have reached the user. */
  readonly inDoubt: boolean;
  readonly attempts: number;
}

/** What Telegram made of a call. */
export type Delivery =
  | { readonly kind: 'sent'; readonly messageId: number | undefined }
  /** Try again after `delayMs`; `inDoubt` when the call may have gone through. */
  | {
      readonly kind: 'retry';
      readonly delayMs: number;
      readonly inDoubt: boolean;
      readonly error: string;
    }
  /** The user blocked the bot: this and every pending call to the chat are dropped. */
  | { readonly kind: 'blocked'; readonly error: string }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'expired' };

interface ClaimedRow {
  id: string;
  method: OutgoingMethod;
  chat_id: string;
  payload: Record<string, unknown>;
  conversation_id: string | null;
  notification_id: string | null;
  expired: boolean;
  in_doubt: boolean;
  attempts: number;
}

/** What a sender's claim keeps hold of a call for; a sender gone longer than this leaves it in doubt. */
const LEASE_SECONDS = 60;

/** Pending calls a claim looks at, oldest first: its cost stays flat however long the queue. */
const CLAIM_WINDOW = 500;

/**
 * The oldest due call of each chat with nothing earlier pending (so a chat's calls go in
 * order), among the oldest pending calls, skipping those another sender holds. A call
 * found with an expired claim was left between sending and marking: it is in doubt.
 */
const CLAIM = `WITH oldest AS (
    SELECT id FROM outgoing_messages WHERE outcome IS NULL ORDER BY id LIMIT ${CLAIM_WINDOW}),
  due AS (
    SELECT o.id FROM outgoing_messages o JOIN oldest USING (id)
    WHERE o.available_at <= now() AND (o.claimed_until IS NULL OR o.claimed_until < now())
      AND NOT EXISTS (
        SELECT 1 FROM outgoing_messages e
        WHERE e.chat_id = o.chat_id AND e.outcome IS NULL AND e.id < o.id)
    ORDER BY o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED),
  claimed AS (
    UPDATE outgoing_messages o
    SET claimed_until = now() + make_interval(secs => ${LEASE_SECONDS}), attempts = o.attempts + 1,
        in_doubt = o.in_doubt OR o.claimed_until IS NOT NULL
    FROM due WHERE o.id = due.id
    RETURNING o.id, o.method, o.chat_id, o.payload, o.conversation_id, o.notification_id,
      o.expires_at IS NOT NULL AND o.expires_at < now() AS expired, o.in_doubt, o.attempts)
  SELECT * FROM claimed ORDER BY id`;

/**
 * `outgoing_messages`: the bot's durable queue of calls to Telegram. `add` writes a call in
 * the caller's transaction (the handling of an update, the relay of an order event), so it
 * exists exactly when that commits; the sender (OutgoingSender) claims, delivers and settles.
 */
@Injectable()
export class OutgoingQueue {
  constructor(@InjectBotDataSource() private readonly dataSource: DataSource) {}

  async add(manager: EntityManager, call: OutgoingCall): Promise<void> {
    await manager.query(
      `INSERT INTO outgoing_messages (chat_id, method, payload, conversation_id, notification_id, expires_at)
       VALUES ($1, $2, $3, $4, $5, CASE WHEN $6::float8 IS NULL THEN NULL
         ELSE now() + make_interval(secs => $6::float8 / 1000) END)`,
      [
        call.chatId,
        call.method,
        { ...call.payload, chat_id: Number(call.chatId) },
        call.conversationId ?? null,
        call.notificationId ?? null,
        call.expiresInMs ?? null,
      ],
    );
  }

  /** Claims up to `limit` due calls, at most one per chat. */
  async claim(limit: number): Promise<ClaimedCall[]> {
    const rows: ClaimedRow[] = await this.dataSource.query(CLAIM, [limit]);
    return rows.map((row) => ({
      id: String(row.id),
      method: row.method,
      chatId: String(row.chat_id),
      payload: row.payload,
      conversationId: row.conversation_id,
      notificationId: row.notification_id,
      expired: row.expired,
      inDoubt: row.in_doubt,
      attempts: row.attempts,
    }));
  }

  /**
   * Records what became of a claimed call, in one transaction: the call, its notification,
   * the delivered message in `messages`; for a block, also every other pending call to that
   * chat and the conversation. Marking twice changes nothing.
   */
  async settle(call: ClaimedCall, delivery: Delivery): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      switch (delivery.kind) {
        case 'sent':
          await this.markSent(manager, call, delivery.messageId);
          return;
        case 'retry':
          await manager.query(
            `UPDATE outgoing_messages SET claimed_until = NULL, last_error = $2,
               in_doubt = in_doubt OR $3,
               available_at = now() + make_interval(secs => $4::float8 / 1000)
             WHERE id = $1 AND outcome IS NULL`,
            [call.id, delivery.error, delivery.inDoubt, delivery.delayMs],
          );
          return;
        case 'blocked':
          await this.dropChat(manager, call.chatId, delivery.error);
          await manager.query(
            `UPDATE conversations SET blocked_at = now(), version = version + 1, updated_at = now()
             WHERE telegram_user_id = $1 AND blocked_at IS NULL`,
            [call.chatId],
          );
          return;
        case 'failed':
        case 'expired':
          await this.drop(
            manager,
            [call.id],
            delivery.kind,
            'error' in delivery ? delivery.error : null,
          );
          return;
      }
    });
  }

  /**
   * Deletes settled calls older than `keepMs` (a batch); returns how many. What was said is
   * kept in `messages`, what became of a notification in `notifications`.
   */
  async purge(keepMs: number): Promise<number> {
    return purgeBatch(
      this.dataSource,
      { table: 'outgoing_messages', key: 'id' },
      'outcome IS NOT NULL AND created_at < now() - make_interval(secs => $1)',
      [keepMs / 1_000],
    );
  }

  private async markSent(
    manager: EntityManager,
    call: ClaimedCall,
    messageId: number | undefined,
  ): Promise<void> {
    const marked: unknown[] = await manager.query(
      `WITH marked AS (
         UPDATE outgoing_messages SET outcome = 'sent', sent_at = now(), claimed_until = NULL,
           telegram_message_id = $2, last_error = NULL
         WHERE id = $1 AND outcome IS NULL RETURNING id)
       SELECT id FROM marked`,
      [call.id, messageId ?? null],
    );
    if (marked.length === 0) return; // settled already (by a sender that outlived its lease)
    if (call.notificationId !== null) {
      await manager.query(
        'UPDATE notifications SET sent = true, sent_at = now() WHERE id = $1 AND NOT sent',
        [call.notificationId],
      );
    }
    if (call.conversationId !== null && messageId !== undefined) {
      await manager.query(
        `INSERT INTO messages (conversation_id, message_id, message_type, direction, content)
         VALUES ($1, $2, $3, 'out', $4)`,
        [call.conversationId, messageId, call.method, call.payload],
      );
    }
  }

  private async dropChat(manager: EntityManager, chatId: string, error: string): Promise<void> {
    const rows: Array<{ id: string }> = await manager.query(
      'SELECT id FROM outgoing_messages WHERE chat_id = $1 AND outcome IS NULL FOR UPDATE',
      [chatId],
    );
    await this.drop(
      manager,
      rows.map((row) => String(row.id)),
      'blocked',
      error,
    );
  }

  private async drop(
    manager: EntityManager,
    ids: string[],
    outcome: 'blocked' | 'failed' | 'expired',
    error: string | null,
  ): Promise<void> {
    await manager.query(
      `WITH dropped AS (
         UPDATE outgoing_messages SET outcome = $2, claimed_until = NULL, last_error = $3
         WHERE id = ANY($1::bigint[]) AND outcome IS NULL RETURNING notification_id)
       UPDATE notifications SET outcome = $2
       WHERE id IN (SELECT notification_id FROM dropped) AND NOT sent`,
      [ids, outcome, error],
    );
  }
}
