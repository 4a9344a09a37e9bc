import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { Permission } from '../../common/permissions.js';
import { InjectBotDataSource } from '../../database/data-sources/bot.js';
import type { OutboxRelay } from '../../database/outbox.js';
import { type OrderEvent, OrderEvents, type OrderStatusChanged } from '../../web/index.js';
import { InjectBotConfig, type TelegramConfig } from '../bot-config.js';
import { OutgoingQueue } from '../send/outgoing-queue.js';
import { OutgoingSender } from '../send/outgoing-sender.js';
import { type BotTexts, replyLanguage, textsIn } from '../texts.js';
import { type ConversationState, ConversationStore } from './conversation-store.js';
import { Speakers } from './speakers.js';

/** A conversation to notify, and the texts of its user's language. */
interface Recipient extends ConversationState {
  readonly texts: BotTexts;
}

/** Prefix of `notifications.source_message_id` for the web application's order events. */
const WEB_EVENTS = 'web';

/**
 * The web application's order events become notifications (the bot database) for linked
 * users who keep notifications on and may read orders in the telegram context. Events are
 * heard at least once; `notifications.source_message_id` is unique, so each becomes one
 * notification, queued for the sender in the same transaction. While the bot database is
 * down, the events wait on the web side: nothing is lost between the two databases.
 */
@Injectable()
export class OrderNotifications implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly relay: OutboxRelay<OrderStatusChanged> | undefined;

  constructor(
    @InjectBotConfig() config: TelegramConfig | null,
    events: OrderEvents,
    @InjectBotDataSource() private readonly botDataSource: DataSource,
    private readonly conversations: ConversationStore,
    private readonly speakers: Speakers,
    private readonly outgoing: OutgoingQueue,
    private readonly sender: OutgoingSender,
  ) {
    if (config === null) return;
    this.relay = events.listen((batch) => this.receive(batch), config.pollIntervalMs);
  }

  onApplicationBootstrap(): void {
    this.relay?.start();
  }

  onModuleDestroy(): Promise<void> | undefined {
    return this.relay?.stop();
  }

  private async receive(messages: readonly OrderEvent[]): Promise<void> {
    const recipients: Array<{ message: OrderEvent; to: Recipient }> = [];
    for (const message of messages) {
      const to = await this.recipient(message.payload.userId);
      if (to !== undefined) recipients.push({ message, to });
    }
    if (recipients.length === 0) return;
    await this.botDataSource.transaction(async (manager) => {
      for (const { message, to } of recipients) {
        const text = to.texts.status(message.payload);
        const rows: Array<{ id: string }> = await manager.query(
          `INSERT INTO notifications (user_id, telegram_user_id, message, notification_type, source_message_id)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (source_message_id) DO NOTHING RETURNING id`,
          [
            message.payload.userId,
            to.telegramUserId,
            text,
            `order.${message.payload.status}`,
            `${WEB_EVENTS}:${message.id}`,
          ],
        );
        const created = rows[0];
        if (created === undefined) continue; // delivered before: already a notification
        await this.outgoing.add(manager, {
          method: 'sendMessage',
          chatId: to.telegramUserId,
          payload: { text },
          conversationId: to.id,
          notificationId: created.id,
        });
      }
    });
    this.sender.nudge();
  }

  /** The conversation to notify: linked by a valid session, notifications on, not blocked. */
  private async recipient(userId: string): Promise<Recipient | undefined> {
    const conversation = await this.conversations.findByUser(userId);
    if (conversation === undefined || !conversation.notificationsEnabled || conversation.blocked)
      return undefined;
    const speaker = await this.speakers.of(conversation);
    if (speaker?.permissions.includes(Permission.OrdersRead) !== true) return undefined;
    return { ...conversation, texts: textsIn(replyLanguage(speaker.language)) };
  }
}
