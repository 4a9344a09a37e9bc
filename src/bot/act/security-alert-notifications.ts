import { BackgroundJob, ProfilesService, SecurityAlerts } from '@exchanger/identity';
import { Injectable } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { InjectBotDataSource } from '../../database/data-sources/bot.js';
import { InjectBotConfig, type TelegramConfig } from '../bot-config.js';
import { BotStateStore } from '../bot-state.js';
import { OutgoingQueue } from '../send/outgoing-queue.js';
import { OutgoingSender } from '../send/outgoing-sender.js';
import { replyLanguage, textsIn } from '../texts.js';
import { ConversationStore } from './conversation-store.js';
import { Speakers } from './speakers.js';

/** Alerts read per round. */
const BATCH = 100;
/** How often the bot looks for new alerts. */
const INTERVAL_MS = 5_000;

/**
 * Security alerts in the linked Telegram chat, beside the mail the identity package sends:
 * the bot follows the identity store's security events (a cursor in `bot_state`) and, for a
 * user whose Telegram account is linked by a valid session and who kept `alerts.telegram` on,
 * queues the alert as a notification (`source_message_id` `identity-event:<id>`, unique, so a
 * second process reading the same events adds nothing), in one transaction with the cursor.
 */
@Injectable()
export class SecurityAlertNotifications extends BackgroundJob {
  constructor(
    @InjectBotConfig() config: TelegramConfig | null,
    private readonly alerts: SecurityAlerts,
    private readonly profiles: ProfilesService,
    @InjectBotDataSource() private readonly botDataSource: DataSource,
    private readonly state: BotStateStore,
    private readonly conversations: ConversationStore,
    private readonly speakers: Speakers,
    private readonly outgoing: OutgoingQueue,
    private readonly sender: OutgoingSender,
  ) {
    super();
    if (config === null || !config.securityAlerts) return;
    this.runs({
      name: 'SecurityAlertNotifications',
      round: () => this.round(),
      intervalMs: INTERVAL_MS,
    });
  }

  private async round(): Promise<boolean> {
    const cursor = (await this.state.get('alerts_cursor'))?.eventId;
    if (cursor === undefined) {
      // A bot that starts following alerts begins now, not with the whole history.
      await this.state.set('alerts_cursor', { eventId: await this.alerts.latestEventId() });
      return false;
    }
    const { alerts, next } = await this.alerts.alertsAfter(cursor, BATCH);
    if (next === cursor) return false;
    const queued: Array<{
      eventId: string;
      userId: string;
      to: { id: string; telegramUserId: string };
      text: string;
    }> = [];
    for (const { event, kind } of alerts) {
      const userId = event.userId as string;
      const conversation = await this.conversations.findByUser(userId);
      if (conversation === undefined || conversation.blocked) continue;
      const speaker = await this.speakers.of(conversation);
      if (speaker === undefined) continue;
      const profile = await this.profiles.get(userId);
      if (!profile.alerts.telegram) continue;
      const texts = textsIn(replyLanguage(profile.language));
      queued.push({
        eventId: event.id,
        userId,
        to: conversation,
        text: texts.alert(kind, event.occurredAt),
      });
    }
    await this.botDataSource.transaction(async (manager) => {
      for (const alert of queued) {
        const rows: Array<{ id: string }> = await manager.query(
          `INSERT INTO notifications (user_id, telegram_user_id, message, notification_type, source_message_id)
           VALUES ($1, $2, $3, 'security.alert', $4)
           ON CONFLICT (source_message_id) DO NOTHING RETURNING id`,
          [alert.userId, alert.to.telegramUserId, alert.text, `identity-event:${alert.eventId}`],
        );
        const created = rows[0];
        if (created === undefined) continue;
        await this.outgoing.add(manager, {
          method: 'sendMessage',
          chatId: alert.to.telegramUserId,
          payload: { text: alert.text },
          conversationId: alert.to.id,
          notificationId: created.id,
        });
      }
      await this.state.set('alerts_cursor', { eventId: next }, manager);
    });
    if (queued.length > 0) this.sender.nudge();
    return true;
  }
}
