import { type CommandOptions, INVALIDATION, type RedisClient } from './redis.connection.js';
import { RedisScript } from './redis-script.js';

/** Written over an invalidated key: refills (set-if-absent) cannot replace it, session extensions skip it. */
export const TOMBSTONE = 'x';

/**
 * Tombstones in one command. One command rather than a pipeline: a write refused by a
 * replica (READONLY, a client that has not seen a failover yet) makes a Sentinel client
 * find the new master and retry, which it does for commands, not for pipelines.
 */
const TOMBSTONES = new RedisScript(`
for i, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1], 'PX', ARGV[i + 1]) end
return #KEYS
`);

/** Tombstones each key for its own time, with the invalidation's options (see INVALIDATION). */
export async function writeTombstones(
  run: <T>(command: (client: RedisClient) => Promise<T>, options?: CommandOptions) => Promise<T>,
  entries: ReadonlyArray<{ readonly key: string; readonly ttlMs: number }>,
): Promise<void> {
  if (entries.length === 0) return;
  await run(
    (client) =>
      TOMBSTONES.run(
        client,
        entries.map((entry) => entry.key),
        [TOMBSTONE, ...entries.map((entry) => String(Math.max(1, Math.ceil(entry.ttlMs))))],
      ),
    INVALIDATION,
  );
}

/** The three writes race-free read-through needs, on full keys, values as strings. */
export interface ConditionalEntries {
  get(key: string): Promise<string | undefined>;
  /** Sets unless the key holds anything, live value or tombstone. */
  setIfAbsent(key: string, value: string, ttlMs: number): Promise<void>;
  /** Tombstones the keys. */
  tombstone(keys: readonly string[], ttlMs: number): Promise<void>;
}

/** On Redis: GET, SET NX PX, and the tombstone script. */
export class RedisEntries implements ConditionalEntries {
  constructor(
    private readonly run: <T>(
      command: (client: RedisClient) => Promise<T>,
      options?: CommandOptions,
    ) => Promise<T>,
  ) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.run((client) => client.get(key))) ?? undefined;
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<void> {
    await this.run((client) =>
      client.set(key, value, { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }),
    );
  }

  async tombstone(keys: readonly string[], ttlMs: number): Promise<void> {
    await writeTombstones(
      this.run,
      keys.map((key) => ({ key, ttlMs })),
    );
  }
}

/** In process memory (one process, no Redis): every operation is synchronous, hence atomic. */
export class MemoryEntries implements ConditionalEntries {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  private writes = 0;

  get(key: string): Promise<string | undefined> {
    return Promise.resolve(this.read(key));
  }

  setIfAbsent(key: string, value: string, ttlMs: number): Promise<void> {
    if (this.read(key) === undefined) this.write(key, value, ttlMs);
    return Promise.resolve();
  }

  tombstone(keys: readonly string[], ttlMs: number): Promise<void> {
    for (const key of keys) this.write(key, TOMBSTONE, ttlMs);
    return Promise.resolve();
  }

  private read(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > Date.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  private write(key: string, value: string, ttlMs: number): void {
    if (ttlMs > 0) this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    // Drop expired entries now and then, so memory stays bounded by the live ones.
    if (++this.writes % 1_024 === 0) {
      const now = Date.now();
      for (const [entryKey, entry] of this.entries)
        if (entry.expiresAt <= now) this.entries.delete(entryKey);
    }
  }
}
