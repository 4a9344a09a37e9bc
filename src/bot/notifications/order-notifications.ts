import type { DataSource } from 'typeorm';
import { Permission } from '../../common/permissions.js';
import { Outbox, type OutboxMessage, OutboxRelay } from '../../database/outbox.js';
import { ORDER_STATUS_TOPIC, type OrderStatusChanged } from '../../web/index.js';
import type { ConversationStore } from '../dialogue/conversation-store.js';
import type { Speakers } from '../dialogue/speakers.js';
import type { ConversationState } from '../dialogue/update-scope.js';
import type { OutgoingQueue } from '../telegram/outgoing-queue.js';
import { Texts } from '../texts.js';

/** Prefix of `notifications.source_message_id` for messages of the web database's outbox. */
const WEB_OUTBOX = 'web';

/**
 * Order status changes (the web database's outbox, topic `order.status`) become
 * notifications (the bot database) for linked users who keep notifications on and may
 * read orders in the telegram context. The relay delivers each message at least once;
 * `notifications.source_message_id` is unique, so each becomes one notification, queued
 * for the sender in the same transaction. While the bot database is down, the messages
 * wait in the web outbox: nothing is lost between the two databases.
 */
export class OrderNotifications {
  private readonly relay: OutboxRelay<OrderStatusChanged>;

  constructor(
    webDataSource: DataSource,
    private readonly botDataSource: DataSource,
    private readonly conversations: ConversationStore,
    private readonly speakers: Speakers,
    private readonly outgoing: OutgoingQueue,
    intervalMs: number,
    private readonly queued: () => void,
  ) {
    this.relay = new OutboxRelay(
      new Outbox(webDataSource),
      ORDER_STATUS_TOPIC,
      (messages) => this.receive(messages),
      intervalMs,
    );
  }

  start(): void {
    this.relay.start();
  }

  stop(): Promise<void> {
    return this.relay.stop();
  }

  nudge(): Promise<void> {
    return this.relay.nudge();
  }

  private async receive(messages: ReadonlyArray<OutboxMessage<OrderStatusChanged>>): Promise<void> {
    const recipients: Array<{ message: OutboxMessage<OrderStatusChanged>; to: ConversationState }> =
      [];
    for (const message of messages) {
      const to = await this.recipient(message.payload.userId);
      if (to !== undefined) recipients.push({ message, to });
    }
    if (recipients.length === 0) return;
    await this.botDataSource.transaction(async (manager) => {
      for (const { message, to } of recipients) {
        const text = Texts.status(message.payload);
        const rows: Array<{ id: string }> = await manager.query(
          `INSERT INTO notifications (user_id, telegram_user_id, message, notification_type, source_message_id)
           VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (source_message_id) DO NOTHING RETURNING id`,
          [
            message.payload.userId,
            to.telegramUserId,
            text,
            `order.${message.payload.status}`,
            `${WEB_OUTBOX}:${message.id}`,
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
    this.queued();
  }

  /** The conversation to notify: linked by a valid session, notifications on, not blocked. */
  private async recipient(userId: string): Promise<ConversationState | undefined> {
    const conversation = await this.conversations.findByUser(userId);
    if (conversation === undefined || !conversation.notificationsEnabled || conversation.blocked)
      return undefined;
    const speaker = await this.speakers.of(conversation);
    return speaker?.permissions.includes(Permission.OrdersRead) === true ? conversation : undefined;
  }
}
