/**
 * The redis folder's door: one connection per process and per-namespace stores on it (from
 * the identity package, which keeps its sessions there), and the product's caches on top.
 */
export {
  type CommandOptions,
  FILL_DEADLINE_MS,
  INVALIDATION,
  KeyScript,
  MemoryMap,
  ModuleRedis,
  NamespacedStore,
  RedisConnection,
  type RedisCounters,
  type RedisNode,
  type RedisOptions,
  RedisUnavailableError,
  TOMBSTONE,
  TOMBSTONE_MS,
  type Tombstone,
} from '@exchanger/identity';
export {
  InjectStore,
  InjectTtlCache,
  RedisModule,
  storeToken,
  ttlCacheToken,
} from './redis.module.js';
export { TtlCache } from './ttl-cache.js';
