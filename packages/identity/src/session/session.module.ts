import {
  type DynamicModule,
  type FactoryProvider,
  Inject,
  Module,
  type ModuleMetadata,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { dataSourceProvider, type DataSourceRef } from '../database/data-source-ref.js';
import { ModuleRedis, NamespacedStore } from '../redis/index.js';
import { CacheTrust } from './cache-trust.js';
import { InvalidationOutbox } from './invalidation-outbox.js';
import { SessionCache } from './session-cache.js';
import { SessionPurger } from './session-purger.js';
import {
  SESSION_DATA_SOURCE,
  SESSION_DEFAULTS,
  SESSION_OPTIONS,
  SESSION_STORE,
  type SessionModuleOptions,
} from './session.options.js';
import { SessionRepository } from './session.repository.js';
import { SessionService } from './session.service.js';

export interface SessionModuleAsyncOptions {
  /**
   * The DataSource holding `sessions` and `cache_invalidations` (and the users they belong
   * to). Given here rather than by the factory, as @nestjs/typeorm does, so that its token is
   * known when the module is defined. Default: TypeORM's default DataSource.
   */
  readonly dataSource?: DataSourceRef;
  readonly imports?: ModuleMetadata['imports'];
  readonly inject?: FactoryProvider['inject'];
  readonly useFactory: (...args: never[]) => SessionModuleOptions | Promise<SessionModuleOptions>;
}

/**
 * Cache-aside sessions (PostgreSQL first, Redis or memory for the cache, race- and
 * outage-safe revocation). `forRoot`/`forRootAsync` once, at the root: it is global, and
 * `SessionService` is its one door. The owner of the users supplies a PrincipalSource;
 * IdentityModule does that itself.
 */
@Module({})
export class SessionModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    @Inject(CacheTrust) private readonly trust: CacheTrust,
    @Inject(SessionPurger) private readonly purger: SessionPurger,
  ) {}

  static forRoot(options: SessionModuleOptions & { dataSource?: DataSourceRef }): DynamicModule {
    return this.forRootAsync({ dataSource: options.dataSource, useFactory: () => options });
  }

  static forRootAsync(options: SessionModuleAsyncOptions): DynamicModule {
    return {
      module: SessionModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: SESSION_OPTIONS,
          inject: options.inject ?? [],
          useFactory: options.useFactory,
        },
        dataSourceProvider(SESSION_DATA_SOURCE, options.dataSource),
        {
          provide: ModuleRedis,
          inject: [SESSION_OPTIONS],
          useFactory: (o: SessionModuleOptions) => ModuleRedis.of(o.redis),
        },
        {
          provide: SESSION_STORE,
          inject: [SESSION_OPTIONS, ModuleRedis],
          useFactory: (o: SessionModuleOptions, redis: ModuleRedis) =>
            new NamespacedStore(o.namespace ?? SESSION_DEFAULTS.namespace, redis.connection),
        },
        {
          provide: SessionRepository,
          inject: [SESSION_DATA_SOURCE, SESSION_OPTIONS],
          useFactory: (dataSource: DataSource, o: SessionModuleOptions) =>
            new SessionRepository(dataSource, o.principals),
        },
        {
          provide: InvalidationOutbox,
          inject: [SESSION_DATA_SOURCE],
          useFactory: (dataSource: DataSource) => new InvalidationOutbox(dataSource),
        },
        {
          provide: SessionCache,
          inject: [SESSION_STORE],
          useFactory: (store: NamespacedStore) => new SessionCache(store),
        },
        {
          provide: CacheTrust,
          inject: [SessionCache, InvalidationOutbox, SESSION_STORE, SESSION_OPTIONS],
          useFactory: (
            cache: SessionCache,
            outbox: InvalidationOutbox,
            store: NamespacedStore,
            o: SessionModuleOptions,
          ) =>
            new CacheTrust(
              cache,
              outbox,
              store,
              o.invalidationPollMs ?? SESSION_DEFAULTS.invalidationPollMs,
            ),
        },
        {
          provide: SessionPurger,
          inject: [SessionRepository, InvalidationOutbox, SESSION_OPTIONS],
          useFactory: (
            repository: SessionRepository,
            outbox: InvalidationOutbox,
            o: SessionModuleOptions,
          ) =>
            new SessionPurger(
              repository,
              outbox,
              o.purgeIntervalMs ?? SESSION_DEFAULTS.purgeIntervalMs,
            ),
        },
        {
          provide: SessionService,
          inject: [
            SessionRepository,
            SessionCache,
            CacheTrust,
            InvalidationOutbox,
            SESSION_STORE,
            SESSION_OPTIONS,
          ],
          useFactory: (
            repository: SessionRepository,
            cache: SessionCache,
            trust: CacheTrust,
            outbox: InvalidationOutbox,
            store: NamespacedStore,
            o: SessionModuleOptions,
          ) => new SessionService(repository, cache, trust, outbox, store, o.contexts),
        },
      ],
      exports: [SessionService, SessionPurger, SESSION_STORE],
    };
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.trust.start();
    this.purger.start();
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([this.trust.stop(), this.purger.stop()]);
  }
}
