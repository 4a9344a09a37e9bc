import { NamespacedStore, RedisConnection, type RedisOptions } from '@exchanger/identity';
import { CACHE_MANAGER, CacheModule, type CacheModuleOptions } from '@nestjs/cache-manager';
import { type DynamicModule, Inject, Module, type Provider } from '@nestjs/common';
import KeyvRedis, { Keyv } from '@keyv/redis';
import type { Cache } from 'cache-manager';
import { TtlCache } from './ttl-cache.js';

export function storeToken(namespace: string): string {
  return `NamespacedStore:${namespace}`;
}

export function ttlCacheToken(namespace: string): string {
  return `TtlCache:${namespace}`;
}

/** Injects the race-free store of one namespace, as registered with `RedisModule.forFeature`. */
export const InjectStore = (namespace: string): ParameterDecorator => Inject(storeToken(namespace));

/** Injects the plain TTL cache of one namespace, as registered with `RedisModule.forFeature`. */
export const InjectTtlCache = (namespace: string): ParameterDecorator =>
  Inject(ttlCacheToken(namespace));

/**
 * @keyv/redis on a client it does not own: the cache manager disconnects its stores at
 * shutdown, but the connection belongs to RedisConnection, which drops it last.
 */
class BorrowedClientStore extends KeyvRedis<unknown> {
  override disconnect(): Promise<void> {
    return Promise.resolve();
  }
}

/** The cache-manager options of one namespace: Redis through @keyv/redis, or process memory. */
function cacheOptions(namespace: string, redis: RedisConnection): CacheModuleOptions {
  if (redis.client === undefined) return { namespace };
  // Built by hand (createKeyv takes no Sentinel client). Errors must reach
  // RedisConnection.guard (to fall back and count), not vanish.
  const adapter = new BorrowedClientStore(redis.client, {
    throwOnErrors: true,
    namespace,
    keyPrefixSeparator: ':',
  });
  // Keyv hands its namespace down to the adapter, which prefixes keys as `namespace:key`.
  const store = new Keyv(adapter, { namespace, useKeyPrefix: false, throwOnErrors: true });
  store.on('error', () => undefined);
  return { stores: [store] };
}

/**
 * `forRoot` (once): the process's one Redis connection (none: caches live in memory).
 * `forFeature(namespace)` (per module): that namespace's race-free `NamespacedStore` and
 * its plain `TtlCache`, both unable to form a key outside it.
 */
@Module({})
export class RedisModule {
  static forRoot(options: RedisOptions): DynamicModule {
    return {
      module: RedisModule,
      global: true,
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
  }

  static forFeature(...namespaces: string[]): DynamicModule {
    return {
      module: RedisFeatureModule,
      imports: namespaces.map((namespace) => namespaceModule(namespace)),
      exports: namespaces.map((namespace) => namespaceModule(namespace)),
    };
  }
}

/** Carrier of the stores of the namespaces one module asked for. */
@Module({})
class RedisFeatureModule {}

/** One namespace's store and TTL cache; memoised, so every importer shares one instance. */
const namespaceModules = new Map<string, DynamicModule>();

function namespaceModule(namespace: string): DynamicModule {
  let module = namespaceModules.get(namespace);
  if (module === undefined) {
    const providers: Provider[] = [
      {
        provide: storeToken(namespace),
        inject: [RedisConnection],
        useFactory: (connection: RedisConnection) => new NamespacedStore(namespace, connection),
      },
      {
        provide: ttlCacheToken(namespace),
        inject: [CACHE_MANAGER, RedisConnection],
        useFactory: (cache: Cache, connection: RedisConnection) =>
          new TtlCache(namespace, cache, connection),
      },
    ];
    // A class per namespace: Nest tells dynamic modules apart by class and metadata.
    const carrier = class {};
    Object.defineProperty(carrier, 'name', { value: `RedisNamespace(${namespace})` });
    Module({})(carrier);
    module = {
      module: carrier,
      imports: [
        CacheModule.registerAsync({
          inject: [RedisConnection],
          useFactory: (redis: RedisConnection) => cacheOptions(namespace, redis),
        }),
      ],
      providers,
      exports: [storeToken(namespace), ttlCacheToken(namespace)],
    };
    namespaceModules.set(namespace, module);
  }
  return module;
}
