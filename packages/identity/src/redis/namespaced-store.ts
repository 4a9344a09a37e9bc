import { Logger } from '@nestjs/common';
import { KeyScript } from './key-script.js';
import { MemoryMap } from './memory-map.js';
import { type CommandOptions, INVALIDATION, type RedisConnection } from './redis.connection.js';

/** Written over an invalidated key: refills (set-if-absent) cannot replace it, extensions skip it. */
export const TOMBSTONE = 'x';
/** A refill lands only this soon after its read began... */
export const FILL_DEADLINE_MS = 2_000;
/**
 * ...so a tombstone that outlives it by a margin (for the command's own time) outlives any
 * refill based on a read made before the invalidation.
 */
export const TOMBSTONE_MS = 3_000;

/** A key to tombstone (in full, as `key` forms it) and for how long. */
export interface Tombstone {
  readonly key: string;
  readonly ttlMs: number;
}

/**
 * Tombstones in one command. One command rather than a pipeline: a write refused by a
 * replica (READONLY, a client that has not seen a failover yet) makes a Sentinel client
 * find the new master and retry, which it does for commands, not for pipelines.
 */
const TOMBSTONES = new KeyScript<number>(
  `for i, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'PX', ARGV[i + 1]) end
return #KEYS`,
  (map, keys, args) => {
    keys.forEach((key, index) => map.set(key, args[0] as string, Number(args[index + 1])));
    return keys.length;
  },
  Number,
);

function ttlArgument(tombstone: Tombstone): string {
  return String(Math.max(1, Math.ceil(tombstone.ttlMs)));
}

/**
 * The cache of one namespace, in Redis or, without Redis, in process memory. It can only
 * form keys inside its namespace: `get('rates:USD_EUR')` in the `cache:web` store reads
 * `cache:web:rates:USD_EUR`, and no argument reaches outside it. Every Redis command is
 * bounded in time (see RedisConnection); a failure rejects with RedisUnavailableError, and
 * callers decide whether that is a miss (reads) or something to record (invalidations).
 *
 * This is the store for caches whose invalidation must be race-free: a change writes a
 * tombstone that a refill based on an older read cannot replace. Plain TTL caches whose
 * staleness is harmless use TtlCache instead.
 */
export class NamespacedStore {
  private readonly logger: Logger;
  private readonly memory: MemoryMap | undefined;

  constructor(
    readonly namespace: string,
    private readonly connection: RedisConnection,
  ) {
    this.logger = new Logger(`Cache ${namespace}`);
    this.memory = connection.configured ? undefined : new MemoryMap();
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

  /** Redis is configured; otherwise this store lives in process memory (one process only). */
  get usesRedis(): boolean {
    return this.memory === undefined;
  }

  /**
   * Whether one step may read or write keys of different slots (no on Redis Cluster: there
   * each key is a command of its own).
   */
  get multiKeySteps(): boolean {
    return this.memory !== undefined || this.connection.multiSlotScripts;
  }

  /** Commands may be sent now: connected and no recent failure (always, in memory). */
  get healthy(): boolean {
    return this.memory !== undefined || this.connection.healthy;
  }

  /** Redis failures of this process so far (errors, timeouts, lost connections). */
  get failures(): number {
    return this.connection.counters.errors;
  }

  /** Called on every Redis failure. */
  onFailure(listener: () => void): void {
    this.connection.onFailure(listener);
  }

  /** Called on every (re)connection to Redis. */
  onReady(listener: () => void): void {
    this.connection.onReady(listener);
  }

  async get(relativeKey: string): Promise<string | undefined> {
    const key = this.key(relativeKey);
    if (this.memory !== undefined) return this.memory.get(key);
    return (await this.connection.run((client) => client.get(key))) ?? undefined;
  }

  /** Sets unless the key holds anything, live value or tombstone. */
  async setIfAbsent(relativeKey: string, value: string, ttlMs: number): Promise<void> {
    const key = this.key(relativeKey);
    if (this.memory !== undefined) {
      if (this.memory.get(key) === undefined) this.memory.set(key, value, ttlMs);
      return;
    }
    await this.connection.run((client) =>
      client.set(key, value, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }),
    );
  }

  /** Runs one atomic step on keys of this namespace (relative keys). */
  run<Result>(
    script: KeyScript<Result>,
    relativeKeys: readonly string[],
    args: readonly string[],
    options?: CommandOptions,
  ): Promise<Result> {
    return this.runOnFullKeys(
      script,
      relativeKeys.map((key) => this.key(key)),
      args,
      options,
    );
  }

  /**
   * Tombstones keys given in full (as recorded in an outbox), each for its own time; throws
   * when the cache cannot be told. Sent as an invalidation (see INVALIDATION).
   */
  async tombstone(tombstones: readonly Tombstone[]): Promise<void> {
    const live = tombstones.filter((tombstone) => tombstone.ttlMs > 0);
    if (live.length === 0) return;
    for (const { key } of live) {
      if (!this.owns(key)) throw new Error(`Not a key of ${this.namespace}: ${key}`);
    }
    if (this.multiKeySteps) {
      await this.runOnFullKeys(
        TOMBSTONES,
        live.map((tombstone) => tombstone.key),
        [TOMBSTONE, ...live.map((tombstone) => ttlArgument(tombstone))],
        INVALIDATION,
      );
      return;
    }
    // On Cluster: one command per key (keys of several slots), each acknowledged by its shard.
    await Promise.all(
      live.map((tombstone) =>
        this.runOnFullKeys(TOMBSTONES, [tombstone.key], [TOMBSTONE, ttlArgument(tombstone)], {
          ...INVALIDATION,
          routingKey: tombstone.key,
        }),
      ),
    );
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
    const cached = await this.get(relativeKey).catch(() => null);
    if (typeof cached === 'string' && cached !== TOMBSTONE) return cached;
    const startedAt = Date.now();
    const value = await load();
    const json = JSON.stringify(value);
    const ttl = typeof ttlMs === 'number' ? ttlMs : ttlMs(value);
    if (cached === undefined && ttl > 0 && Date.now() - startedAt < FILL_DEADLINE_MS) {
      await this.setIfAbsent(relativeKey, json, ttl).catch(() => undefined);
    }
    return json;
  }

  /** Invalidates read-through entries: refills are refused for a while. False if the cache could not be told. */
  async invalidate(...relativeKeys: string[]): Promise<boolean> {
    try {
      await this.tombstone(
        relativeKeys.map((relativeKey) => ({ key: this.key(relativeKey), ttlMs: TOMBSTONE_MS })),
      );
      return true;
    } catch (error) {
      this.logger.warn(`invalidation of ${relativeKeys.join(', ')} failed: ${String(error)}`);
      return false;
    }
  }

  private runOnFullKeys<Result>(
    script: KeyScript<Result>,
    keys: readonly string[],
    args: readonly string[],
    options?: CommandOptions,
  ): Promise<Result> {
    if (this.memory !== undefined) {
      return Promise.resolve(script.memory(this.memory, keys, args));
    }
    return this.connection.run((client) => script.run(client, keys, args), options);
  }
}
