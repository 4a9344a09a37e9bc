import { Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { AppConfig } from '../config/app-config.js';
import type { NamespacedStore } from '../redis/namespaced-store.js';
import { IDENTITY_NAMESPACE } from '../redis/namespaces.js';
import { RedisConnection } from '../redis/redis.connection.js';
import { RedisModule, storeToken } from '../redis/redis.module.js';
import { CacheTrust } from './cache-trust.js';
import { InvalidationOutbox } from './invalidation-outbox.js';
import { MemorySessionCache, RedisSessionCache, SessionCache } from './session-cache.js';
import { SessionPurger } from './session-purger.js';
import { SessionRepository } from './session.repository.js';
import { SessionService } from './session.service.js';

type Config = ConfigService<AppConfig, true>;

/** Cache-aside session storage; `SessionService` is its one door. */
@Module({
  imports: [RedisModule.forFeature(IDENTITY_NAMESPACE)],
  providers: [
    SessionRepository,
    InvalidationOutbox,
    {
      provide: SessionCache,
      inject: [storeToken(IDENTITY_NAMESPACE)],
      useFactory: (store: NamespacedStore) =>
        store.hasRedis ? new RedisSessionCache(store) : new MemorySessionCache(store),
    },
    {
      provide: CacheTrust,
      inject: [SessionCache, InvalidationOutbox, RedisConnection, ConfigService],
      useFactory: (
        cache: SessionCache,
        outbox: InvalidationOutbox,
        redis: RedisConnection,
        config: Config,
      ) =>
        new CacheTrust(
          cache,
          outbox,
          redis,
          config.get('sessions', { infer: true }).invalidationPollMs,
        ),
    },
    {
      provide: SessionPurger,
      inject: [SessionRepository, InvalidationOutbox, ConfigService],
      useFactory: (repository: SessionRepository, outbox: InvalidationOutbox, config: Config) =>
        new SessionPurger(
          repository,
          outbox,
          config.get('sessions', { infer: true }).purgeIntervalMs,
        ),
    },
    {
      provide: SessionService,
      inject: [
        SessionRepository,
        SessionCache,
        CacheTrust,
        InvalidationOutbox,
        RedisConnection,
        ConfigService,
      ],
      useFactory: (
        repository: SessionRepository,
        cache: SessionCache,
        trust: CacheTrust,
        outbox: InvalidationOutbox,
        redis: RedisConnection,
        config: Config,
      ) =>
        new SessionService(
          repository,
          cache,
          trust,
          outbox,
          redis,
          config.get('sessions', { infer: true }).lifetimes,
        ),
    },
  ],
  exports: [SessionService, SessionPurger],
})
export class SessionModule implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(
    private readonly trust: CacheTrust,
    private readonly purger: SessionPurger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.trust.start();
    this.purger.start();
  }

  async onModuleDestroy(): Promise<void> {
    this.trust.stop();
    await this.purger.stop();
  }
}
