import { Logger } from '@nestjs/common';
import { BotError } from 'grammy';
import type { Update } from 'grammy/types';
import { type EntityManager, QueryFailedError } from 'typeorm';
import type { BotStateStore } from '../bot-state.js';
import { type ConversationStore, StaleConversationError } from '../dialogue/conversation-store.js';
import type { Records } from '../dialogue/records.js';
import type { Speakers } from '../dialogue/speakers.js';
import { updateScopes, type UpdateScope } from '../dialogue/update-scope.js';
import type { OutgoingQueue } from '../telegram/outgoing-queue.js';
import type { TelegramClient } from '../telegram/telegram-client.js';
import type { ClaimedUpdate, Handling, UpdateInbox } from './update-inbox.js';
import { handledUpdate } from './update-shape.js';

/** A record refused because the cached conversation no longer exists in the database. */
function isMissingConversation(error: unknown): boolean {
  const driverError = error instanceof QueryFailedError ? (error.driverError as object) : {};
  return 'constraint' in driverError && driverError.constraint === 'FK_messages_conversation';
}

/**
 * Handles the stored updates, one per round: the update is held, its sender's
 * conversation opened and speaker checked, grammY runs the handlers, and everything they
 * write (records, dialogue state, queued replies) commits with the update's "handled"
 * mark. A failure rolls all of it back for another try; an update the bot does not handle
 * (another kind, another chat type, malformed inside) is marked ignored, with nothing else
 * stored.
 */
export class UpdateWorker {
  private readonly logger = new Logger('UpdateWorker');

  constructor(
    private readonly inbox: UpdateInbox,
    private readonly client: TelegramClient,
    private readonly conversations: ConversationStore,
    private readonly speakers: Speakers,
    private readonly records: Records,
    private readonly outgoing: OutgoingQueue,
    private readonly state: BotStateStore,
    /** Called once replies may be waiting in the outgoing queue. */
    private readonly repliesQueued: () => void,
  ) {}

  /** One update; true when there was one. */
  async round(): Promise<boolean> {
    if (!this.client.ready && !(await this.client.initialize())) return false;
    const hooks: UpdateScope['afterCommit'] = [];
    const handling = await this.inbox.handleNext((update, manager) =>
      this.handle(update, manager, hooks),
    );
    if (handling === undefined) return false;
    if (handling.outcome === 'handled') {
      for (const hook of hooks) await hook().catch(() => undefined);
      this.repliesQueued();
    } else if (handling.outcome === 'retry' || handling.outcome === 'failed') {
      this.logger.warn(`update not handled (${handling.outcome}): ${String(handling.error)}`);
      await this.state.recordError('update', handling.error);
    }
    return true;
  }

  private async handle(
    update: ClaimedUpdate,
    manager: EntityManager,
    afterCommit: UpdateScope['afterCommit'],
  ): Promise<Handling> {
    const data = handledUpdate(update.payload);
    if (data === undefined) return { outcome: 'ignored' };
    const from = data.kind === 'message' ? data.message.from : data.callbackQuery.from;
    const chat = data.kind === 'message' ? data.message.chat : data.callbackQuery.message?.chat;
    // Private chats only: a group would hear the user's orders.
    if (
      from.is_bot === true ||
      (chat !== undefined && (chat.type !== 'private' || chat.id !== from.id))
    )
      return { outcome: 'ignored' };
    try {
      const telegramUserId = String(from.id);
      const opened = await this.conversations.open(telegramUserId);
      const scope: UpdateScope = {
        updateId: update.updateId,
        manager,
        conversation: opened,
        speaker: await this.speakers.of(opened),
        result: 'ok',
        afterCommit,
        queue: (call) => this.outgoing.add(manager, call),
      };
      // Writing again means the user unblocked the bot.
      if (opened.blocked)
        scope.conversation = await this.conversations.update(manager, opened, { blocked: false });
      await this.records.inbound(scope, data);
      await updateScopes.run(scope, () =>
        this.client.bot.handleUpdate(update.payload as unknown as Update),
      );
      if (scope.conversation !== opened)
        afterCommit.push(() => this.conversations.forget(telegramUserId));
      return { outcome: 'handled' };
    } catch (caught) {
      const error = caught instanceof BotError ? caught.error : caught;
      // A stale cached conversation (written since, or gone): again at once, on a fresh read.
      if (error instanceof StaleConversationError)
        return { outcome: 'retry', error, retryAfterMs: 0 };
      if (isMissingConversation(error)) {
        await this.conversations.forget(String(from.id));
        return { outcome: 'retry', error, retryAfterMs: 0 };
      }
      return { outcome: 'retry', error };
    }
  }
}
