import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DiscoveryModule } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppContext, Database } from '../common/app-context.js';
import type { AppConfig } from '../config/app-config.js';
import type { NamespacedStore } from '../redis/namespaced-store.js';
import { IDENTITY_NAMESPACE } from '../redis/namespaces.js';
import { RedisModule, storeToken } from '../redis/redis.module.js';
import { SessionModule } from '../session/index.js';
import { AuthService } from './auth.service.js';
import { IDENTITY_ENTITIES } from './entities/index.js';
import { FirstAdmin } from './first-admin.js';
import { AdminUsersController } from './http/admin-users.controller.js';
import { authControllerFor, TelegramLinkCodeController } from './http/auth.controller.js';
import { RouteContextAudit } from './http/route-context-audit.js';
import { PasswordStrategy, SessionStrategy } from './http/strategies.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { SecurityEventsService } from './security-events.service.js';
import { TelegramLinkService } from './telegram-link.service.js';
import { UsersService } from './users.service.js';

/**
 * Users, permissions and authentication for all three applications, on the shared
 * identity database. Its guards (AuthenticationGuard, PermissionsGuard) are installed
 * globally by AppModule; each application mounts its own auth routes with
 * `IdentityModule.routesFor(context)`.
 */
@Module({
  imports: [
    TypeOrmModule.forFeature(IDENTITY_ENTITIES, Database.Identity),
    RedisModule.forFeature(IDENTITY_NAMESPACE),
    PassportModule,
    DiscoveryModule,
    SessionModule,
  ],
  providers: [
    PasswordHasher,
    UsersService,
    AuthService,
    SecurityEventsService,
    TelegramLinkService,
    FirstAdmin,
    PasswordStrategy,
    SessionStrategy,
    RouteContextAudit,
    {
      provide: LoginThrottle,
      inject: [storeToken(IDENTITY_NAMESPACE), ConfigService],
      useFactory: (store: NamespacedStore, config: ConfigService<AppConfig, true>) =>
        new LoginThrottle(store, config.get('login', { infer: true })),
    },
  ],
  exports: [UsersService, AuthService, SecurityEventsService, TelegramLinkService, SessionModule],
})
export class IdentityModule {
  /** The auth routes of one application (and, for web and admin, what only they have). */
  static routesFor(context: AppContext): DynamicModule {
    const controllers = [authControllerFor(context)];
    if (context === AppContext.Web) controllers.push(TelegramLinkCodeController);
    if (context === AppContext.Admin) controllers.push(AdminUsersController);
    return {
      module: IdentityRoutesModule,
      imports: [IdentityModule],
      controllers,
    };
  }
}

/** Carrier of one application's identity routes. */
@Module({})
class IdentityRoutesModule {}
