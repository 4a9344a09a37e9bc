import { createHash } from 'node:crypto';
import type { LoginThrottleConfig } from '../config/app-config.js';
import type { NamespacedStore } from '../redis/namespaced-store.js';

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

/** Failures of one account are forgotten after a day without any. */
const ACCOUNT_MEMORY_MS = 24 * 3_600_000;

/** The few counter operations the throttle needs; times in milliseconds. */
interface Counters {
  /** Adds one; a new counter lives `ttlMs`; `refresh` restarts its life on every increment. */
  increment(key: string, ttlMs: number, refresh: boolean): Promise<number>;
  /** Value and remaining life of each key (0 and 0 when absent). */
  read(keys: string[]): Promise<Array<{ value: number; ttlMs: number }>>;
  set(key: string, value: number, ttlMs: number): Promise<void>;
  delete(keys: string[]): Promise<void>;
}

class RedisCounters implements Counters {
  constructor(private readonly store: NamespacedStore) {}

  async increment(key: string, ttlMs: number, refresh: boolean): Promise<number> {
    const [count] = await this.store.run((client, k) =>
      client
        .multi()
        .incr(k(key))
        .pExpire(k(key), ttlMs, refresh ? undefined : 'NX')
        .execAsPipeline(),
    );
    return Number(count);
  }

  async read(keys: string[]): Promise<Array<{ value: number; ttlMs: number }>> {
    const replies = await this.store.run((client, k) => {
      const batch = client.multi();
      for (const key of keys) batch.get(k(key)).pTTL(k(key));
      return batch.execAsPipeline();
    });
    return keys.map((_, index) => ({
      value: Number(replies[index * 2] ?? 0),
      ttlMs: Math.max(0, Number(replies[index * 2 + 1])),
    }));
  }

  async set(key: string, value: number, ttlMs: number): Promise<void> {
    await this.store.run((client, k) =>
      client.set(k(key), String(value), { expiration: { type: 'PX', value: ttlMs } }),
    );
  }

  async delete(keys: string[]): Promise<void> {
    await this.store.run((client, k) => client.del(keys.map(k)));
  }
}

/** Per-process counters: used while Redis cannot be reached, and when there is none. */
class MemoryCounters implements Counters {
  private readonly entries = new Map<string, { value: number; expiresAt: number }>();

  increment(key: string, ttlMs: number, refresh: boolean): Promise<number> {
    const now = Date.now();
    const entry = this.live(key, now);
    const value = (entry?.value ?? 0) + 1;
    const expiresAt = entry === undefined || refresh ? now + ttlMs : entry.expiresAt;
    this.entries.set(key, { value, expiresAt });
    if (this.entries.size > 100_000) this.sweep(now);
    return Promise.resolve(value);
  }

  read(keys: string[]): Promise<Array<{ value: number; ttlMs: number }>> {
    const now = Date.now();
    return Promise.resolve(
      keys.map((key) => {
        const entry = this.live(key, now);
        return entry === undefined
          ? { value: 0, ttlMs: 0 }
          : { value: entry.value, ttlMs: entry.expiresAt - now };
      }),
    );
  }

  set(key: string, value: number, ttlMs: number): Promise<void> {
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    return Promise.resolve();
  }

  delete(keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
    return Promise.resolve();
  }

  private live(key: string, now: number) {
    const entry = this.entries.get(key);
    return entry !== undefined && entry.expiresAt > now ? entry : undefined;
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}

/**
 * Login throttling: only failures count. Per address, a fixed window of failures; per
 * account, a lock after repeated failures that doubles with each further one, up to a
 * maximum. A success clears the account's failures. Counters live in Redis, shared by
 * every process; while Redis is away, in this process's memory.
 */
export class LoginThrottle {
  private readonly redis: Counters | undefined;
  private readonly memory = new MemoryCounters();

  constructor(
    store: NamespacedStore,
    private readonly config: LoginThrottleConfig,
  ) {
    this.redis = store.hasRedis ? new RedisCounters(store) : undefined;
  }

  async check(ip: string, email: string): Promise<ThrottleVerdict> {
    const account = accountKey(email);
    const [address, lock] = await this.counters((c) => c.read([ipKey(ip), `${account}:lock`]));
    const waits = [
      address !== undefined && address.value >= this.config.ipMaxFailures ? address.ttlMs : 0,
      lock !== undefined && lock.value > 0 ? lock.ttlMs : 0,
    ];
    const wait = Math.max(...waits);
    return wait > 0
      ? { allowed: false, retryAfterSeconds: Math.ceil(wait / 1_000) }
      : { allowed: true };
  }

  /** Counts a failure; true when it locked the account. */
  async recordFailure(ip: string, email: string): Promise<boolean> {
    const account = accountKey(email);
    return this.counters(async (c) => {
      await c.increment(ipKey(ip), this.config.ipWindowMs, false);
      const failures = await c.increment(`${account}:failures`, ACCOUNT_MEMORY_MS, true);
      const excess = failures - this.config.accountMaxFailures;
      if (excess < 0) return false;
      const lockMs = Math.min(this.config.lockoutMs * 2 ** excess, this.config.lockoutMaxMs);
      await c.set(`${account}:lock`, 1, lockMs);
      return true;
    });
  }

  async recordSuccess(email: string): Promise<void> {
    const account = accountKey(email);
    await this.counters((c) => c.delete([`${account}:failures`, `${account}:lock`]));
  }

  private async counters<T>(operation: (counters: Counters) => Promise<T>): Promise<T> {
    if (this.redis !== undefined) {
      try {
        return await operation(this.redis);
      } catch {
        // Redis away: this process counts on its own meanwhile.
      }
    }
    return operation(this.memory);
  }
}

function ipKey(ip: string): string {
  return `login:ip:${ip}`;
}

/** Emails are hashed: the cache holds no address book. */
function accountKey(email: string): string {
  return `login:account:${createHash('sha256').update(email).digest('hex')}`;
}
