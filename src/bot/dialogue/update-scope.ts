import { AsyncLocalStorage } from 'node:async_hooks';
import { Context } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { EntityManager } from 'typeorm';
import type { OutgoingCall } from '../telegram/outgoing-queue.js';

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

/** The identity user behind a Telegram account, as their telegram session says now. */
export interface Speaker {
  readonly userId: string;
  readonly sessionId: string;
  readonly permissions: readonly string[];
}

/** How a command ended, for `user_commands.result`. */
export type CommandResult = 'ok' | 'usage' | 'unlinked' | 'forbidden' | 'refused' | 'expired';

/** What handling one update may use and leaves behind. */
export interface UpdateScope {
  readonly updateId: number;
  /** The transaction that marks the update handled: the bot database's writes go here. */
  readonly manager: EntityManager;
  /** The sender's conversation; replaced by every write. */
  conversation: ConversationState;
  /** Set when the sender's Telegram account is linked and its session is valid. */
  readonly speaker: Speaker | undefined;
  result: CommandResult;
  /** Run once the transaction has committed (cache invalidations). */
  readonly afterCommit: Array<() => Promise<unknown>>;
  /** Queues a call to Telegram in the transaction: it goes out once the handling commits. */
  readonly queue: (call: OutgoingCall) => Promise<void>;
}

/** A reply older than this is not worth sending any more. */
const REPLY_LIFETIME_MS = 60 * 60_000;

/** The scope of the update being handled, for grammY's middleware (which only gets the update). */
export const updateScopes = new AsyncLocalStorage<UpdateScope>();

/**
 * grammY's context with the scope of its update. Handlers answer through `say`, `edit` and
 * `answer`, which queue the calls; calling the Bot API directly from a handler (`ctx.reply`)
 * is refused, since it would escape the transaction.
 */
export class BotContext extends Context {
  get scope(): UpdateScope {
    const scope = updateScopes.getStore();
    if (scope === undefined) throw new Error('An update is handled outside its scope');
    return scope;
  }

  /** A message to the user's chat. */
  say(text: string, keyboard?: InlineKeyboardMarkup): Promise<void> {
    const { conversation } = this.scope;
    return this.scope.queue({
      method: 'sendMessage',
      chatId: conversation.telegramUserId,
      payload: { text, ...(keyboard === undefined ? {} : { reply_markup: keyboard }) },
      conversationId: conversation.id,
      expiresInMs: REPLY_LIFETIME_MS,
    });
  }

  /** Replaces the text of a message the bot sent (and removes its buttons). */
  edit(messageId: number, text: string): Promise<void> {
    const { conversation } = this.scope;
    return this.scope.queue({
      method: 'editMessageText',
      chatId: conversation.telegramUserId,
      payload: { message_id: messageId, text },
      conversationId: conversation.id,
      expiresInMs: REPLY_LIFETIME_MS,
    });
  }

  /** Answers the pressed button (a toast, or an alert). */
  answer(text?: string, alert = false): Promise<void> {
    const query = this.callbackQuery;
    if (query === undefined) return Promise.resolve();
    return this.scope.queue({
      method: 'answerCallbackQuery',
      chatId: this.scope.conversation.telegramUserId,
      payload: {
        callback_query_id: query.id,
        ...(text === undefined ? {} : { text }),
        ...(alert ? { show_alert: true } : {}),
      },
      // Telegram forgets an unanswered query after about 15 s.
      expiresInMs: 15_000,
    });
  }
}
