import {
  createValidationPipe,
  type IdentityContextOptions,
  IdentityModule,
  type IdentityModuleOptions,
} from '@exchanger/identity';
import { type DynamicModule, Module, type Type } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { AdminModule } from './admin/index.js';
import { BotModule } from './bot/index.js';
import {
  ALL_CONTEXTS,
  AppContext,
  CONTEXTS,
  Database,
  databasesFor,
  migratesDatabase,
} from './common/app-context.js';
import { HttpErrorFilter } from './common/http/http-error.filter.js';
import { Role, ROLES } from './common/roles.js';
import { DEFAULT_PERMISSIONS } from './common/permissions.js';
import type { AppConfig } from './config/app-config.js';
import { DatabaseModule } from './database/database.module.js';
import { HealthModule } from './health/health.module.js';
import { MetricsModule } from './metrics/index.js';
import { RedisConnection, RedisModule } from './redis/index.js';
import { SCHEMAS } from './schemas.js';
import { WebModule } from './web/index.js';

const APPLICATION_MODULES: Readonly<Record<AppContext, Type>> = {
  [AppContext.Web]: WebModule,
  [AppContext.Admin]: AdminModule,
  [AppContext.Telegram]: BotModule,
};

/** How each context's sessions live and travel, and who may hold one. */
function contextOptions(config: AppConfig, context: AppContext): IdentityContextOptions {
  const staff = context === AppContext.Admin;
  return {
    lifetime: config.sessions.lifetimes[context],
    cookie: {
      name: CONTEXTS[context].sessionCookie,
      path: `/${CONTEXTS[context].routePrefix}`,
      sameSite: staff ? 'strict' : 'lax',
    },
    defaultPermissions: DEFAULT_PERMISSIONS[context],
    ...(staff && { requiredRole: Role.Admin, lockPerAddress: true }),
  };
}

/**
 * This product's configuration, in the terms of the identity module. Every context is
 * listed, whichever this process mounts: a password change or a staff action must reach
 * the sessions of all of them.
 */
function identityOptions(config: AppConfig, redis: RedisConnection): IdentityModuleOptions {
  return {
    contexts: Object.fromEntries(
      ALL_CONTEXTS.map((context) => [context, contextOptions(config, context)]),
    ),
    roles: ROLES,
    registrationRole: Role.User,
    redis,
    cookieSecure: config.http.cookieSecure,
    trustedOrigins: config.http.trustedOrigins,
    loginThrottle: config.login,
    registrationThrottle: config.registration,
    accountMailThrottle: config.accountMail,
    sessionPurgeIntervalMs: config.sessions.purgeIntervalMs,
    invalidationPollMs: config.sessions.invalidationPollMs,
    ...(config.mail !== undefined && {
      mail: { ...config.mail, smtpUrl: config.mail.smtpUrl ?? undefined },
    }),
  };
}

/**
 * The whole service for one validated configuration: shared infrastructure, identity,
 * and the applications listed in APP_CONTEXTS. Global behaviour (error shape, validation,
 * the guards IdentityModule installs) is registered here, so every test builds exactly this.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    const databases = databasesFor(config.contexts);
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot({ isGlobal: true, ignoreEnvFile: true, load: [() => config] }),
        DatabaseModule.forRoot(
          config.database,
          Object.fromEntries(
            databases.map((database) => [
              database,
              // A borrowed database is migrated by the processes of the application that owns it.
              migratesDatabase(config.contexts, database)
                ? SCHEMAS[database]
                : { ...SCHEMAS[database], migrations: [] },
            ]),
          ),
        ),
        RedisModule.forRoot(config.redis),
        HealthModule.forRoot(databases),
        MetricsModule.forRoot({ token: config.metricsToken, databases }),
        IdentityModule.forRootAsync({
          dataSource: Database.Identity,
          inject: [RedisConnection],
          useFactory: (redis: RedisConnection) => identityOptions(config, redis),
        }),
        ...config.contexts.map((context) => APPLICATION_MODULES[context]),
      ],
      providers: [
        { provide: APP_FILTER, useClass: HttpErrorFilter },
        { provide: APP_PIPE, useFactory: createValidationPipe },
      ],
    };
  }
}
