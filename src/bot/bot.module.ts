import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppContext, Database } from '../common/app-context.js';
import { IdentityModule } from '../identity/index.js';
import { cacheNamespace } from '../redis/namespaces.js';
import { RedisModule } from '../redis/redis.module.js';
import { ConversationsService } from './conversations.service.js';
import { BOT_ENTITIES } from './entities/index.js';
import { BotLinkController, BotSecretGuard } from './link.controller.js';

/** The Telegram bot: its own database, its own cache namespace, sessions by account linking. */
@Module({
  imports: [
    TypeOrmModule.forFeature(BOT_ENTITIES, Database.Bot),
    RedisModule.forFeature(cacheNamespace(AppContext.Telegram)),
    IdentityModule.routesFor(AppContext.Telegram),
    IdentityModule,
  ],
  controllers: [BotLinkController],
  providers: [ConversationsService, BotSecretGuard],
})
export class BotModule {}
