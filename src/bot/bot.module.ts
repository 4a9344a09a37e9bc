import { IdentityModule } from '@exchanger/identity';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppContext, CONTEXTS, Database } from '../common/app-context.js';
import type { AppConfig } from '../config/app-config.js';
import { RedisModule } from '../redis/index.js';
import { WebServicesModule } from '../web/index.js';
import { BOT_CONFIG, type TelegramConfig, WEBHOOK_SECRET } from './bot-config.js';
import { BotStateStore } from './bot-state.js';
import { AccountLinks } from './act/account-links.js';
import { ConversationStore } from './act/conversation-store.js';
import { OrderNotifications } from './act/order-notifications.js';
import { SecurityAlertNotifications } from './act/security-alert-notifications.js';
import { Speakers } from './act/speakers.js';
import { BOT_ENTITIES } from './entities/index.js';
import { HandledPurge } from './receive/handled-purge.js';
import { InboundRecords } from './receive/inbound-records.js';
import { UpdateInbox } from './receive/update-inbox.js';
import { UpdatePoller } from './receive/update-poller.js';
import { UpdateWorker } from './receive/update-worker.js';
import { WebhookController, WebhookSecretGuard } from './receive/webhook.controller.js';
import { WebhookRegistration } from './receive/webhook-registration.js';
import { OutgoingQueue } from './send/outgoing-queue.js';
import { OutgoingSender } from './send/outgoing-sender.js';
import { SendLimiter } from './send/send-limiter.js';
import { TelegramClient } from './send/telegram-client.js';
import { BotHandlers } from './understand/bot-handlers.js';
import { CommandRecords } from './understand/command-records.js';

const { routePrefix, cacheNamespace } = CONTEXTS[AppContext.Telegram];

/**
 * The Telegram bot: its own database and cache namespace; Telegram updates received
 * (webhook or polling) into an inbox and handled by workers; replies and notifications
 * sent through a durable queue; orders placed through the web application's services.
 * Off (routes mounted, nothing running) without TELEGRAM_BOT_TOKEN. See docs/bot.md.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature(BOT_ENTITIES, Database.Bot),
    RedisModule.forFeature(cacheNamespace),
    WebServicesModule,
    IdentityModule.forFeature({
      context: AppContext.Telegram,
      path: `${routePrefix}/auth`,
      passwordLogin: false,
    }),
  ],
  controllers: [WebhookController],
  providers: [
    {
      provide: BOT_CONFIG,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>): TelegramConfig | null =>
        config.get('telegram', { infer: true }) ?? null,
    },
    {
      provide: WEBHOOK_SECRET,
      inject: [BOT_CONFIG],
      useFactory: (config: TelegramConfig | null): string | undefined =>
        config?.mode === 'webhook' ? config.webhookSecret : undefined,
    },
    WebhookSecretGuard,
    BotStateStore,
    // receive: updates in (webhook or polling), stored once, handled by the workers
    UpdateInbox,
    UpdateWorker,
    UpdatePoller,
    WebhookRegistration,
    InboundRecords,
    HandledPurge,
    // understand: what an update asks for, and the answer
    BotHandlers,
    CommandRecords,
    // act: conversations, links, notifications of order events and security alerts
    ConversationStore,
    Speakers,
    AccountLinks,
    OrderNotifications,
    SecurityAlertNotifications,
    // send: the durable queue of calls to Telegram, paced
    OutgoingQueue,
    OutgoingSender,
    SendLimiter,
    TelegramClient,
  ],
})
export class BotModule {}
