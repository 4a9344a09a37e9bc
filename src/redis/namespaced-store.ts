import { Logger } from '@nestjs/common';
import type { Cache } from 'cache-manager';
import {
  type ConditionalEntries,
  MemoryEntries,
  RedisEntries,
  TOMBSTONE,
} from './conditional-entries.js';
import type { CommandOptions, RedisClient, RedisConnection } from './redis.connection.js';

/** A refill lands only this soon after its read began... */
const FILL_DEADLINE_MS = 2_000;
/**
 * ...so a tombstone that outlives it by a margin (for the command's own time) outlives any
 * refill based on a read made before the invalidation.
 */
const TOMBSTONE_MS = 3_000;

/**
 * A cache that can only form keys inside its own namespace: `get('rates:USD_EUR')` in the
 * `cache:web` store reads `cache:web:rates:USD_EUR`, and no argument reaches outside it.
 * Values are JSON; every entry has a TTL. Cache failures are never fatal: a read that
 * fails is a miss, a write or delete that fails returns false so the caller can decide.
 */
export class NamespacedStore {
  private readonly logger: Logger;
  private readonly entries: ConditionalEntries;

  constructor(
    readonly namespace: string,
    private readonly cache: Cache,
    private readonly connection: RedisConnection,
  ) {
    this.logger = new Logger(`Cache ${namespace}`);
    this.entries = connection.configured
      ? new RedisEntries((command, options) => connection.run(command, options))
      : new MemoryEntries();
  }

  /**
   * Cache-aside that a concurrent change cannot make stale: a hit is returned; a miss is
   * loaded and stored only if nothing (no value, no tombstone) is there and the load was
   * quick, so an `invalidate` racing with the load always wins. `ttlMs` may depend on the
   * value. A failing cache is skipped: the value is loaded.
   */
  async readThrough<T>(
    relativeKey: string,
    ttlMs: number | ((value: T) => number),
    load: () => Promise<T>,
  ): Promise<T> {
    let loaded: { value: T } | undefined;
    const json = await this.readThroughJson(relativeKey, ttlMs, async () => {
      loaded = { value: await load() };
      return loaded.value;
    });
    return loaded === undefined ? (JSON.parse(json) as T) : loaded.value;
  }

  /**
   * The same, returning the value as JSON text: a hit is handed on as stored, without
   * parsing it and serialising it again (for responses that are exactly the cached value).
   */
  async readThroughJson<T>(
    relativeKey: string,
    ttlMs: number | ((value: T) => number),
    load: () => Promise<T>,
  ): Promise<string> {
    const key = this.key(relativeKey);
    const cached = await this.entries.get(key).catch(() => null);
    if (typeof cached === 'string' && cached !== TOMBSTONE) return cached;
    const startedAt = Date.now();
    const value = await load();
    const json = JSON.stringify(value);
    const ttl = typeof ttlMs === 'number' ? ttlMs : ttlMs(value);
    if (cached === undefined && ttl > 0 && Date.now() - startedAt < FILL_DEADLINE_MS) {
      await this.entries.setIfAbsent(key, json, ttl).catch(() => undefined);
    }
    return json;
  }

  /** Invalidates read-through entries: refills are refused for a while. False if the cache could not be told. */
  async invalidate(...relativeKeys: string[]): Promise<boolean> {
    try {
      await this.entries.tombstone(
        relativeKeys.map((relativeKey) => this.key(relativeKey)),
        TOMBSTONE_MS,
      );
      return true;
    } catch (error) {
      this.logger.warn(`invalidation of ${relativeKeys.join(', ')} failed: ${String(error)}`);
      return false;
    }
  }

  /** The full Redis key for a key relative to this namespace. */
  key(relativeKey: string): string {
    if (relativeKey.length === 0) throw new Error('A cache key cannot be empty');
    return `${this.namespace}:${relativeKey}`;
  }

  /** Whether a full key lies in this namespace. */
  owns(fullKey: string): boolean {
    return fullKey.startsWith(`${this.namespace}:`) && fullKey.length > this.namespace.length + 1;
  }

  /** Redis is configured (not the in-memory stand-in), so `run` is available. */
  get hasRedis(): boolean {
    return this.connection.configured;
  }

  /**
   * Raw commands the cache manager lacks (SET NX, Lua, pipelines), bounded in time like
   * every command. Keys must come from the `key` function handed in, which is this
   * store's own: that is how the namespace is kept.
   */
  run<T>(
    command: (client: RedisClient, key: (relativeKey: string) => string) => Promise<T>,
    options?: CommandOptions,
  ): Promise<T> {
    return this.connection.run(
      (client) => command(client, (relativeKey) => this.key(relativeKey)),
      options,
    );
  }

  async get<T>(relativeKey: string): Promise<T | undefined> {
    const key = this.key(relativeKey);
    try {
      return (await this.connection.guard(() => this.cache.get<T>(key))) ?? undefined;
    } catch (error) {
      this.logger.debug(`read of ${key} failed: ${String(error)}`);
      return undefined;
    }
  }

  async set<T>(relativeKey: string, value: T, ttlMs: number): Promise<boolean> {
    if (!(ttlMs > 0)) throw new Error('Every cache entry needs a positive TTL');
    const key = this.key(relativeKey);
    try {
      await this.connection.guard(() => this.cache.set(key, value, ttlMs));
      return true;
    } catch (error) {
      this.logger.debug(`write of ${key} failed: ${String(error)}`);
      return false;
    }
  }

  /** Deletes entries; false when the cache could not be told. */
  async delete(...relativeKeys: string[]): Promise<boolean> {
    const keys = relativeKeys.map((relativeKey) => this.key(relativeKey));
    if (keys.length === 0) return true;
    try {
      await this.connection.guard(() => this.cache.mdel(keys));
      return true;
    } catch (error) {
      this.logger.warn(`delete of ${keys.join(', ')} failed: ${String(error)}`);
      return false;
    }
  }
}
