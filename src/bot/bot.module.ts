import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppContext, CONTEXTS, Database } from '../common/app-context.js';
import type { AppConfig } from '../config/app-config.js';
import { IdentityModule } from '../identity/index.js';
import { RedisModule } from '../redis/index.js';
import { ConversationsService } from './conversations.service.js';
import { BOT_ENTITIES } from './entities/index.js';
import { BOT_SECRET, BotLinkController, BotSecretGuard } from './link.controller.js';

const { routePrefix, cacheNamespace } = CONTEXTS[AppContext.Telegram];

/** The Telegram bot: its own database and cache namespace; sessions by account linking. */
@Module({
  imports: [
    TypeOrmModule.forFeature(BOT_ENTITIES, Database.Bot),
    RedisModule.forFeature(cacheNamespace),
    IdentityModule.forFeature({
      context: AppContext.Telegram,
      path: `${routePrefix}/auth`,
      passwordLogin: false,
    }),
  ],
  controllers: [BotLinkController],
  providers: [
    ConversationsService,
    BotSecretGuard,
    {
      provide: BOT_SECRET,
      inject: [ConfigService],
      useFactory: (config: ConfigService<AppConfig, true>): string | undefined =>
        config.get<AppConfig['botApiSecret']>('botApiSecret'),
    },
  ],
})
export class BotModule {}
