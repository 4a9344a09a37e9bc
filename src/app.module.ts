import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { LoggerModule } from 'nestjs-pino';
import { AdminModule } from './admin/admin.module.js';
import { BotModule } from './bot/bot.module.js';
import { AppContext, databasesFor } from './common/app-context.js';
import { HttpErrorFilter } from './common/http/http-error.filter.js';
import { OriginGuard } from './common/http/origin.guard.js';
import { createValidationPipe } from './common/http/validation.js';
import { loggerParams } from './common/logging.js';
import type { AppConfig } from './config/app-config.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { AuthenticationGuard, IdentityModule, PermissionsGuard } from './identity/index.js';
import { RedisModule } from './redis/redis.module.js';
import { WebModule } from './web/index.js';

const APPLICATION_MODULES: Readonly<Record<AppContext, Type>> = {
  [AppContext.Web]: WebModule,
  [AppContext.Admin]: AdminModule,
  [AppContext.Telegram]: BotModule,
};

/**
 * The whole service for one validated configuration: shared infrastructure, identity,
 * and the applications listed in APP_CONTEXTS. Global behaviour (error shape, validation,
 * guards) is registered here, so every test builds exactly this.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => config] }),
        LoggerModule.forRoot(loggerParams(config.log.level)),
        DatabaseModule.forRoot(config.database, databasesFor(config.contexts)),
        RedisModule.forRoot(config.redis),
        HealthModule.forRoot(databasesFor(config.contexts)),
        IdentityModule,
        ...config.contexts.map((context) => APPLICATION_MODULES[context]),
      ],
      providers: [
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
        // In this order: foreign origins are refused before any session is looked at.
        { provide: APP_GUARD, useClass: OriginGuard },
        { provide: APP_GUARD, useClass: AuthenticationGuard },
        { provide: APP_GUARD, useClass: PermissionsGuard },
      ],
    };
  }
}
