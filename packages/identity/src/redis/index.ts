/** The redis folder's door: one connection per process, and per-namespace stores on it. */
export { KeyScript } from './key-script.js';
export { MemoryMap } from './memory-map.js';
export {
  FILL_DEADLINE_MS,
  NamespacedStore,
  TOMBSTONE,
  TOMBSTONE_MS,
  type Tombstone,
} from './namespaced-store.js';
export { ModuleRedis, type ModuleRedisOption } from './owned-connection.js';
export {
  type BorrowedRedisClient,
  type CommandOptions,
  INVALIDATION,
  RedisConnection,
  type RedisNode,
  type RedisCounters,
  type RedisOptions,
  RedisUnavailableError,
} from './redis.connection.js';
