import { IdentityModule } from '@exchanger/identity';
import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppContext, CONTEXTS, Database } from '../common/app-context.js';
import type { AppConfig } from '../config/app-config.js';
import { RedisModule } from '../redis/index.js';
import { WebServicesModule } from '../web/index.js';
import { BOT_CONFIG, type TelegramConfig, WEBHOOK_SECRET } from './bot-config.js';
import { BotRuntime } from './bot.runtime.js';
import { BotStateStore } from './bot-state.js';
import { AccountLinks } from './dialogue/account-links.js';
import { BotHandlers } from './dialogue/bot-handlers.js';
import { ConversationStore } from './dialogue/conversation-store.js';
import { Records } from './dialogue/records.js';
import { Speakers } from './dialogue/speakers.js';
import { BOT_ENTITIES } from './entities/index.js';
import { OutgoingQueue } from './telegram/outgoing-queue.js';
import { UpdateInbox } from './updates/update-inbox.js';
import { WebhookController, WebhookSecretGuard } from './updates/webhook.controller.js';

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
    UpdateInbox,
    OutgoingQueue,
    ConversationStore,
    Speakers,
    Records,
    AccountLinks,
    BotHandlers,
    BotRuntime,
  ],
})
export class BotModule {}
