import { BackgroundJob } from '@exchanger/identity';
import { Injectable, Logger } from '@nestjs/common';
import { BotError } from 'grammy';
import type { Update } from 'grammy/types';
import { type EntityManager, QueryFailedError } from 'typeorm';
import { ConversationStore, StaleConversationError } from '../act/conversation-store.js';
import { Speakers } from '../act/speakers.js';
import { InjectBotConfig, type TelegramConfig } from '../bot-config.js';
import { BotStateStore } from '../bot-state.js';
import { replyLanguage, textsIn } from '../texts.js';
import { OutgoingQueue } from '../send/outgoing-queue.js';
import { OutgoingSender } from '../send/outgoing-sender.js';
import { TelegramClient } from '../send/telegram-client.js';
import { BotHandlers } from '../understand/bot-handlers.js';
import { handledUpdate } from '../understand/update-shape.js';
import type { UpdateScope } from '../understand/update-scope.js';
import { InboundRecords } from './inbound-records.js';
import { type ClaimedUpdate, type Handling, UpdateInbox } from './update-inbox.js';

/** A record refused because the cached conversation no longer exists in the database. */
function isMissingConversation(error: unknown): boolean {
  const driverError = error instanceof QueryFailedError ? (error.driverError as object) : {};
  return 'constraint' in driverError && driverError.constraint === 'FK_messages_conversation';
}

/**
 * Handles the stored updates, one per round in each of `BOT_UPDATE_CONCURRENCY` lanes: the
 * update is held, its sender's conversation opened and speaker checked, the inbound message
 * recorded, the handlers run, and everything they write (records, dialogue state, queued
 * replies) commits with the update's "handled" mark; then the sender is nudged. A failure
 * rolls all of it back for another try; an update the bot does not handle (another kind,
 * another chat type, malformed inside) is marked ignored, with nothing else stored.
 */
@Injectable()
export class UpdateWorker extends BackgroundJob {
  private readonly logger = new Logger('UpdateWorker');
  private readonly mode: TelegramConfig['mode'] | undefined;

  constructor(
    @InjectBotConfig() config: TelegramConfig | null,
    private readonly inbox: UpdateInbox,
    private readonly client: TelegramClient,
    private readonly conversations: ConversationStore,
    private readonly speakers: Speakers,
    private readonly inbound: InboundRecords,
    private readonly handlers: BotHandlers,
    private readonly outgoing: OutgoingQueue,
    private readonly sender: OutgoingSender,
    private readonly state: BotStateStore,
  ) {
    super();
    this.mode = config?.mode;
    if (config === null) return;
    this.runs({
      name: 'UpdateWorker',
      round: () => this.round(),
      intervalMs: config.pollIntervalMs,
      lanes: config.updateConcurrency,
    });
  }

  override onApplicationBootstrap(): void {
    super.onApplicationBootstrap();
    this.logger.log(
      this.mode === undefined
        ? 'TELEGRAM_BOT_TOKEN is not set: the Telegram bot is off'
        : `Telegram bot on (${this.mode})`,
    );
  }

  /** One update; true when there was one. */
  private async round(): Promise<boolean> {
    const botInfo = await this.client.initialize();
    if (botInfo === undefined) return false;
    const afterCommit: UpdateScope['afterCommit'] = [];
    const handling = await this.inbox.handleNext((update, manager) =>
      this.handle(update, manager, afterCommit, botInfo),
    );
    if (handling === undefined) return false;
    if (handling.outcome === 'handled') {
      for (const hook of afterCommit) await hook().catch(() => undefined);
      this.sender.nudge();
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
    botInfo: NonNullable<TelegramClient['botInfo']>,
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
      const speaker = await this.speakers.of(opened);
      const language = replyLanguage(speaker?.language, from.language_code);
      const scope: UpdateScope = {
        updateId: update.updateId,
        manager,
        conversation: opened,
        speaker,
        result: 'ok',
        language,
        texts: textsIn(language),
        afterCommit,
        outgoing: this.outgoing,
      };
      // Writing again means the user unblocked the bot.
      if (opened.blocked)
        scope.conversation = await this.conversations.update(manager, opened, { blocked: false });
      await this.inbound.record(scope, data);
      await this.handlers.handle(update.payload as unknown as Update, scope, botInfo);
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
