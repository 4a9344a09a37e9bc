import type { RedisConnection } from '@exchanger/identity';
import { Logger } from '@nestjs/common';
import type { Cache } from 'cache-manager';

/**
 * A plain TTL cache of one namespace, for values whose staleness is harmless (aggregates,
 * metric series, reports, command texts): cache-manager, from @nestjs/cache-manager, on
 * the process's Redis connection or in memory. Nothing invalidates these entries before
 * their TTL; caches that must be invalidated race-free use NamespacedStore.
 *
 * Keys are relative to the namespace (`analytics:daily` in `cache:web` is
 * `cache:web:analytics:daily`). Every call is bounded in time like any Redis command, and
 * never fails: a cache that cannot answer is a miss.
 */
export class TtlCache {
  private readonly logger: Logger;

  constructor(
    readonly namespace: string,
    private readonly cache: Cache,
    private readonly connection: RedisConnection,
  ) {
    this.logger = new Logger(`Cache ${namespace}`);
  }

  async get<T>(key: string): Promise<T | undefined> {
    try {
      return (await this.connection.guard(() => this.cache.get<T>(key))) ?? undefined;
    } catch (error) {
      this.logger.debug(`read of ${key} failed: ${String(error)}`);
      return undefined;
    }
  }

  /** False when the value could not be stored. */
  async set<T>(key: string, value: T, ttlMs: number): Promise<boolean> {
    if (!(ttlMs > 0)) throw new Error('Every cache entry needs a positive TTL');
    try {
      await this.connection.guard(() => this.cache.set(key, value, ttlMs));
      return true;
    } catch (error) {
      this.logger.debug(`write of ${key} failed: ${String(error)}`);
      return false;
    }
  }

  /** The cached value, or `load()`'s, cached for `ttlMs`. */
  async wrap<T>(key: string, ttlMs: number, load: () => Promise<T>): Promise<T> {
    const cached = await this.get<T>(key);
    if (cached !== undefined) return cached;
    const value = await load();
    await this.set(key, value, ttlMs);
    return value;
  }

  /** False when the cache could not be told. */
  async delete(...keys: string[]): Promise<boolean> {
    if (keys.length === 0) return true;
    try {
      // One command per key: on Redis Cluster, keys of several slots cannot go together.
      await Promise.all(keys.map((key) => this.connection.guard(() => this.cache.del(key))));
      return true;
    } catch (error) {
      this.logger.warn(`delete of ${keys.join(', ')} failed: ${String(error)}`);
      return false;
    }
  }
}
