import { CACHE_MANAGER, CacheModule, type CacheModuleOptions } from '@nestjs/cache-manager';
import { type DynamicModule, Inject, Module, type Provider } from '@nestjs/common';
import KeyvRedis, { Keyv } from '@keyv/redis';
import type { Cache } from 'cache-manager';
import { NamespacedStore } from './namespaced-store.js';
import { RedisConnection, type RedisOptions } from './redis.connection.js';

export function storeToken(namespace: string): string {
  return `NamespacedStore:${namespace}`;
}

/** Injects the store of one namespace, as registered with `RedisModule.forFeature`. */
export const InjectStore = (namespace: string): ParameterDecorator => Inject(storeToken(namespace));

/** @keyv/redis on the shared client, which RedisConnection drops at shutdown, not the cache manager. */
class SharedClientStore extends KeyvRedis<unknown> {
  override disconnect(): Promise<void> {
    return Promise.resolve();
  }
}

/** Holds the one RedisConnection, shared by the cache manager and the stores. */
@Module({})
class RedisConnectionModule {}

/**
 * `forRoot` (once): the process's Redis connection and the cache manager on top of it —
 * Redis through @keyv/redis when REDIS_URL is set, process memory otherwise.
 * `forFeature(namespace)` (per module): a store that only speaks that namespace's keys.
 */
@Module({})
export class RedisModule {
  static forRoot(options: RedisOptions): DynamicModule {
    const connection: DynamicModule = {
      module: RedisConnectionModule,
      providers: [
        {
          provide: RedisConnection,
          useFactory: async () => {
            const redis = new RedisConnection(options);
            await redis.connect();
            return redis;
          },
        },
      ],
      exports: [RedisConnection],
    };
    return {
      module: RedisModule,
      global: true,
      imports: [
        connection,
        CacheModule.registerAsync({
          imports: [connection],
          inject: [RedisConnection],
          useFactory: (redis: RedisConnection): CacheModuleOptions => {
            if (redis.client === undefined) return {};
            // Errors must reach RedisConnection.guard (to fall back and count), not vanish.
            // Built by hand (createKeyv takes no Sentinel client), as createKeyv does it:
            // keys exactly as the stores form them, no `keyv:` namespace.
            const store = new Keyv(new SharedClientStore(redis.client, { throwOnErrors: true }), {
              useKeyPrefix: false,
              throwOnErrors: true,
            });
            store.namespace = undefined;
            store.on('error', () => undefined);
            return { stores: [store] };
          },
        }),
      ],
      exports: [connection, CacheModule],
    };
  }

  static forFeature(...namespaces: string[]): DynamicModule {
    const providers = namespaces.map((namespace): Provider => ({
      provide: storeToken(namespace),
      inject: [CACHE_MANAGER, RedisConnection],
      useFactory: (cache: Cache, connection: RedisConnection) =>
        new NamespacedStore(namespace, cache, connection),
    }));
    return { module: RedisModule, providers, exports: providers };
  }
}
