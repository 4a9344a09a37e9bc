import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { APP_GUARD, DiscoveryModule } from '@nestjs/core';
import type { DataSource } from 'typeorm';
import { ORIGIN_GUARD_OPTIONS, OriginGuard } from '../common/http/origin.guard.js';
import { dataSourceProvider } from '../database/data-source-ref.js';
import { checkIdentityMigrations, runIdentityMigrations } from '../database/identity-migrations.js';
import type { NamespacedStore } from '../redis/index.js';
import { SESSION_STORE, SessionModule } from '../session/index.js';
import { AuthService } from './auth.service.js';
import { type AuthRoutesOptions, authControllerFor } from './http/auth.controller.js';
import {
  AuthenticationGuard,
  PermissionsGuard,
  RouteRules,
  UNDECLARED_ROUTES,
} from './http/guards.js';
import { emailVerificationControllerFor } from './http/email-verification.controller.js';
import { passwordResetControllerFor } from './http/password-reset.controller.js';
import { RouteContextAudit } from './http/route-context-audit.js';
import {
  IDENTITY_DATA_SOURCE,
  IDENTITY_OPTIONS,
  resolveIdentityOptions,
  type ResolvedIdentityOptions,
} from './identity.options.js';
import {
  IDENTITY_EXTRAS_DEFAULTS,
  IDENTITY_RAW_OPTIONS,
  type IdentityModuleAsyncOptions,
  IdentityModuleBase,
  type IdentityModuleExtras,
  type IdentityModuleRootOptions,
} from './identity.module-definition.js';
import { LinkCodesService } from './link-codes.service.js';
import { LoginThrottle } from './login-throttle.js';
import { PasswordHasher } from './password-hasher.js';
import { MailSender } from './mail/mail-sender.js';
import { OutgoingMails } from './mail/outgoing-mails.js';
import { AccountTokens } from './account-tokens.js';
import { EmailVerification } from './email-verification.service.js';
import { SecurityAlerts } from './security-alerts.service.js';
import { PasswordReset } from './password-reset.service.js';
import { ProfilesService } from './profiles.service.js';
import { IdentityPrincipals } from './principals.js';
import { SecurityEventsService } from './security-events.service.js';
import { UsersService } from './users.service.js';

/** Registrations per address and window, unless the options say otherwise. */
const REGISTRATIONS = { max: 20, windowMs: 3_600_000 };

/** Carrier of the resolved options, imported by the identity and session modules alike. */
@Module({})
class IdentityOptionsModule {}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}

/** Carrier of one context's auth routes. */
@Module({})
class IdentityRoutesModule {}

/** The DataSource as the host gives it, before the identity tables are known to be ready. */
const HOST_DATA_SOURCE = Symbol('HOST_DATA_SOURCE');

/**
 * Users, permissions, passwords and sessions for every context of the host, on one
 * identity store. `forRoot`/`forRootAsync` once, at the root (global; it brings
 * SessionModule along and, unless told otherwise, the guards that make every route
 * declare its context); `forFeature(routes)` in each application that mounts a context's
 * auth routes.
 */
@Module({})
export class IdentityModule extends IdentityModuleBase {
  static override forRoot(options: IdentityModuleRootOptions): DynamicModule {
    return this.assemble(super.forRoot(options), options);
  }

  static override forRootAsync(options: IdentityModuleAsyncOptions): DynamicModule {
    return this.assemble(super.forRootAsync(options), options);
  }

  /**
   * The builder's options providers (and the host's imports for them) go into a carrier
   * module that both this module and SessionModule import; the options are checked there.
   */
  private static assemble(definition: DynamicModule, given: IdentityModuleExtras): DynamicModule {
    const extras = { ...IDENTITY_EXTRAS_DEFAULTS, ...stripUndefined(given) };
    const optionsModule: DynamicModule = {
      module: IdentityOptionsModule,
      imports: definition.imports ?? [],
      providers: [
        ...(definition.providers ?? []),
        {
          provide: IDENTITY_OPTIONS,
          inject: [IDENTITY_RAW_OPTIONS],
          useFactory: resolveIdentityOptions,
        },
      ],
      exports: [IDENTITY_OPTIONS],
    };
    const guards: Provider[] =
      extras.globalGuards === false
        ? []
        : [
            // In this order: foreign origins are refused before any session is looked at.
            { provide: APP_GUARD, useClass: OriginGuard },
            { provide: APP_GUARD, useClass: AuthenticationGuard },
            { provide: APP_GUARD, useClass: PermissionsGuard },
          ];
    return {
      module: IdentityModule,
      global: extras.isGlobal !== false,
      imports: [
        optionsModule,
        DiscoveryModule,
        SessionModule.forRootAsync({
          dataSource: extras.dataSource,
          imports: [optionsModule],
          inject: [IDENTITY_OPTIONS],
          useFactory: (identity: ResolvedIdentityOptions) => ({
            contexts: Object.fromEntries(
              Object.entries(identity.contexts).map(([name, context]) => [name, context.lifetime]),
            ),
            principals: new IdentityPrincipals(identity.contexts),
            redis: identity.redis,
            namespace: identity.namespace,
            purgeIntervalMs: identity.sessionPurgeIntervalMs,
            invalidationPollMs: identity.invalidationPollMs,
          }),
        }),
      ],
      providers: [
        dataSourceProvider(HOST_DATA_SOURCE, extras.dataSource),
        {
          // Every service reaches the tables through this one, so none runs before they are ready.
          provide: IDENTITY_DATA_SOURCE,
          inject: [HOST_DATA_SOURCE],
          useFactory: async (dataSource: DataSource) => {
            if (extras.migrations === 'run') {
              await runIdentityMigrations(dataSource, { schema: extras.schema });
            } else {
              await checkIdentityMigrations(dataSource, extras.schema);
            }
            return dataSource;
          },
        },
        PasswordHasher,
        UsersService,
        ProfilesService,
        OutgoingMails,
        MailSender,
        AccountTokens,
        PasswordReset,
        EmailVerification,
        SecurityAlerts,
        AuthService,
        SecurityEventsService,
        LinkCodesService,
        RouteRules,
        OriginGuard,
        AuthenticationGuard,
        PermissionsGuard,
        {
          provide: ORIGIN_GUARD_OPTIONS,
          inject: [IDENTITY_OPTIONS],
          useFactory: (identity: ResolvedIdentityOptions) => ({
            trustedOrigins: identity.trustedOrigins,
          }),
        },
        {
          provide: LoginThrottle,
          inject: [SESSION_STORE, IDENTITY_OPTIONS],
          useFactory: (store: NamespacedStore, identity: ResolvedIdentityOptions) =>
            new LoginThrottle(store, identity.loginThrottle, {
              max: identity.registrationThrottle?.max ?? REGISTRATIONS.max,
              windowMs: identity.registrationThrottle?.windowMs ?? REGISTRATIONS.windowMs,
            }),
        },
        ...guards,
        { provide: UNDECLARED_ROUTES, useValue: extras.undeclaredRoutes ?? 'refuse' },
        ...(extras.undeclaredRoutes === 'public' ? [] : [RouteContextAudit]),
      ],
      exports: [
        optionsModule,
        UsersService,
        ProfilesService,
        OutgoingMails,
        MailSender,
        PasswordReset,
        EmailVerification,
        SecurityAlerts,
        AuthService,
        SecurityEventsService,
        LinkCodesService,
        PasswordHasher,
        // What a host needs to apply the guards itself (`globalGuards: false`).
        RouteRules,
        ORIGIN_GUARD_OPTIONS,
        UNDECLARED_ROUTES,
        OriginGuard,
        AuthenticationGuard,
        PermissionsGuard,
      ],
    };
  }

  /** The auth routes of one context, mounted by the application that serves it. */
  static forFeature(routes: AuthRoutesOptions): DynamicModule {
    return {
      module: IdentityRoutesModule,
      controllers: [
        authControllerFor(routes),
        ...(routes.passwordReset === true
          ? [passwordResetControllerFor(routes.context, routes.path)]
          : []),
        ...(routes.emailVerification === true
          ? [emailVerificationControllerFor(routes.context, routes.path)]
          : []),
      ],
    };
  }
}
