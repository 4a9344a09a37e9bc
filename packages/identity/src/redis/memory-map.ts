/**
 * Strings with a time to live, in process memory: the one stand-in for Redis, for a single
 * process without Redis and as the fallback of counters while Redis is away. Every
 * operation is synchronous, so a step made of several of them is atomic, like a Lua script.
 */
export class MemoryMap {
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  private writes = 0;

  get(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > Date.now()) return entry.value;
    this.entries.delete(key);
    return undefined;
  }

  /** Milliseconds the key has left; 0 when absent. */
  ttl(key: string): number {
    const entry = this.entries.get(key);
    return entry === undefined ? 0 : Math.max(0, entry.expiresAt - Date.now());
  }

  /** Stores the value for `ttlMs`; a TTL of zero or less removes the key. */
  set(key: string, value: string, ttlMs: number): void {
    if (ttlMs <= 0) {
      this.entries.delete(key);
      return;
    }
    this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    // Drop expired entries now and then, so memory stays bounded by the live ones.
    if (++this.writes % 1_024 === 0) {
      const now = Date.now();
      for (const [entryKey, entry] of this.entries)
        if (entry.expiresAt <= now) this.entries.delete(entryKey);
    }
  }

  delete(key: string): void {
    this.entries.delete(key);
  }
}
