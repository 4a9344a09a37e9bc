import { AsyncLocalStorage } from 'node:async_hooks';
import { Context } from 'grammy';
import type { InlineKeyboardMarkup } from 'grammy/types';
import type { ConversationTurn } from '../act/conversation-store.js';
import type { Speaker } from '../act/speakers.js';
import type { Language } from '../../common/languages.js';
import type { OutgoingCall, OutgoingQueue } from '../send/outgoing-queue.js';
import type { BotTexts } from '../texts.js';

/** How a command ended, for `user_commands.result`. */
export type CommandResult = 'ok' | 'usage' | 'unlinked' | 'forbidden' | 'refused' | 'expired';

/** What handling one update may use and leaves behind. */
export interface UpdateScope extends ConversationTurn {
  readonly updateId: number;
  /** Set when the sender's Telegram account is linked and its session is valid. */
  readonly speaker: Speaker | undefined;
  result: CommandResult;
  /** The language the bot answers in, and its texts. */
  readonly language: Language;
  readonly texts: BotTexts;
  /** Replies are queued here, in the handling's transaction: they go out once it commits. */
  readonly outgoing: OutgoingQueue;
}

/** A reply older than this is not worth sending any more. */
const REPLY_LIFETIME_MS = 60 * 60_000;

/** The scope of the update being handled, for grammY's middleware (which only gets the update). */
export const updateScopes = new AsyncLocalStorage<UpdateScope>();

/** Queues a call to Telegram in the handling's transaction: it goes out once that commits. */
function queue(scope: UpdateScope, call: OutgoingCall): Promise<void> {
  return scope.outgoing.add(scope.manager, call);
}

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

  /** What the bot says, in the speaker's language. */
  get texts(): BotTexts {
    return this.scope.texts;
  }

  /** A message to the user's chat. */
  say(text: string, keyboard?: InlineKeyboardMarkup): Promise<void> {
    const { conversation } = this.scope;
    return queue(this.scope, {
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
    return queue(this.scope, {
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
    return queue(this.scope, {
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
