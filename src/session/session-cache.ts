import type { AppContext } from '../common/app-context.js';
import type { NamespacedStore } from '../redis/namespaced-store.js';
import { TOMBSTONE, writeTombstones } from '../redis/conditional-entries.js';
import { RedisScript } from '../redis/redis-script.js';
import type { Principal, SessionState } from './session.types.js';

/** A cached session never outlives this, whatever its remaining life (SPEC §3). */
export const MAX_SESSION_CACHE_MS = 24 * 3_600_000;
const USER_CACHE_MS = 3_600_000;
/**
 * How long a changed user's entry refuses refills. A lookup fills only within FILL_DEADLINE_MS
 * of its database read, so no fill based on the old state can land after this; and no
 * longer, since meanwhile that user's requests need the database.
 */
const USER_TOMBSTONE_MS = 3_000;
export const FILL_DEADLINE_MS = 2_000;

/** A cache entry to invalidate, and the instant after which it cannot exist anyway. */
export interface Invalidation {
  readonly key: string;
  readonly expiresAt: number;
}

export interface CacheLookup {
  /** Unknown to the cache (miss), known revoked, or the cached state. */
  readonly session: SessionState | 'revoked' | undefined;
  /** The cached user of that context, when cached. */
  readonly user: Principal | undefined;
}

interface CachedSession {
  u: string;
  c: number;
  e: number;
}

/**
 * The cache side of sessions: `identity:session:{ctx}:{sha256}` and `identity:user:{ctx}:{userId}`
 * (SPEC §3). Every key is formed here, from the identity store's namespace. Writes are
 * conditional so that a revocation always wins a race with a refill or an extension.
 */
export abstract class SessionCache {
  constructor(protected readonly store: NamespacedStore) {}

  sessionKey(context: AppContext, sessionId: string): string {
    return this.store.key(`session:${context}:${sessionId}`);
  }

  userKey(context: AppContext, userId: string): string {
    return this.store.key(`user:${context}:${userId}`);
  }

  /** The invalidation of a session whose cache entry could live until `expiresAt` at most. */
  sessionInvalidation(context: AppContext, sessionId: string, expiresAt: number): Invalidation {
    return {
      key: this.sessionKey(context, sessionId),
      expiresAt: Math.min(expiresAt, Date.now() + MAX_SESSION_CACHE_MS),
    };
  }

  userInvalidation(context: AppContext, userId: string): Invalidation {
    return { key: this.userKey(context, userId), expiresAt: Date.now() + USER_CACHE_MS };
  }

  abstract lookup(context: AppContext, sessionId: string): Promise<CacheLookup>;
  /** Caches a session (and its user) unless an entry, live or revoked, is already there. */
  abstract fill(session: SessionState, user: Principal | undefined): Promise<void>;
  /** Stores a slid expiry, unless the session has been revoked meanwhile. */
  abstract extend(session: SessionState): Promise<void>;
  /** Tombstones the keys; throws when the cache cannot be told. */
  abstract invalidate(invalidations: readonly Invalidation[]): Promise<void>;

  protected sessionTtl(session: SessionState): number {
    return Math.min(session.expiresAt - Date.now(), MAX_SESSION_CACHE_MS);
  }

  protected userTtl(): number {
    return USER_CACHE_MS;
  }

  /** A revoked session stays refused until it would have expired; a changed user only briefly. */
  protected tombstoneTtl(invalidation: Invalidation): number {
    const remaining = invalidation.expiresAt - Date.now();
    return this.isUserKey(invalidation.key) ? Math.min(remaining, USER_TOMBSTONE_MS) : remaining;
  }

  protected encodeSession(session: SessionState): string {
    const entry: CachedSession = { u: session.userId, c: session.createdAt, e: session.expiresAt };
    return JSON.stringify(entry);
  }

  protected decode(
    context: AppContext,
    sessionId: string,
    rawSession: string | null | undefined,
    rawUser: string | null | undefined,
  ): CacheLookup {
    if (rawSession === null || rawSession === undefined)
      return { session: undefined, user: undefined };
    if (rawSession === TOMBSTONE) return { session: 'revoked', user: undefined };
    const entry = JSON.parse(rawSession) as CachedSession;
    const session: SessionState = {
      id: sessionId,
      context,
      userId: entry.u,
      createdAt: entry.c,
      expiresAt: entry.e,
    };
    const user =
      rawUser === null || rawUser === undefined || rawUser === TOMBSTONE
        ? undefined
        : (JSON.parse(rawUser) as Principal);
    return { session, user };
  }

  private isUserKey(key: string): boolean {
    return key.startsWith(this.store.key('user:'));
  }
}

/** One round trip: the session, and the user it names. */
const LOOKUP = new RedisScript(`
local session = redis.call('GET', KEYS[1])
if not session then return {} end
if session == ARGV[2] then return {session} end
local userId = string.match(session, '"u":"([^"]+)"')
if not userId then return {session} end
return {session, redis.call('GET', ARGV[1] .. userId)}
`);

/** Sets the session unless it has been revoked (tombstoned) meanwhile. */
const EXTEND = new RedisScript(`
if redis.call('GET', KEYS[1]) == ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`);

export class RedisSessionCache extends SessionCache {
  async lookup(context: AppContext, sessionId: string): Promise<CacheLookup> {
    const reply = (await this.store.run((client, key) =>
      LOOKUP.run(
        client,
        [key(`session:${context}:${sessionId}`)],
        [key(`user:${context}:`), TOMBSTONE],
      ),
    )) as Array<string | null>;
    return this.decode(context, sessionId, reply[0], reply[1]);
  }

  async fill(session: SessionState, user: Principal | undefined): Promise<void> {
    const ttl = this.sessionTtl(session);
    if (ttl <= 0) return;
    await this.store.run((client) => {
      const batch = client
        .multi()
        .set(this.sessionKey(session.context, session.id), this.encodeSession(session), {
          condition: 'NX',
          expiration: { type: 'PX', value: ttl },
        });
      if (user !== undefined) {
        batch.set(this.userKey(session.context, user.id), JSON.stringify(user), {
          condition: 'NX',
          expiration: { type: 'PX', value: this.userTtl() },
        });
      }
      return batch.execAsPipeline();
    });
  }

  async extend(session: SessionState): Promise<void> {
    const ttl = this.sessionTtl(session);
    if (ttl <= 0) return;
    await this.store.run((client) =>
      EXTEND.run(
        client,
        [this.sessionKey(session.context, session.id)],
        [this.encodeSession(session), String(ttl), TOMBSTONE],
      ),
    );
  }

  async invalidate(invalidations: readonly Invalidation[]): Promise<void> {
    const live = invalidations.filter((invalidation) => this.tombstoneTtl(invalidation) > 0);
    for (const invalidation of live) {
      if (!this.store.owns(invalidation.key))
        throw new Error(`Not an identity key: ${invalidation.key}`);
    }
    await writeTombstones(
      (command, options) => this.store.run(command, options),
      live.map((invalidation) => ({
        key: invalidation.key,
        ttlMs: this.tombstoneTtl(invalidation),
      })),
    );
  }
}

interface MemoryEntry {
  value: string;
  expiresAt: number;
}

/**
 * The same semantics in process memory, for a single process without Redis. Each operation
 * is synchronous, hence atomic, like the Redis scripts.
 */
export class MemorySessionCache extends SessionCache {
  private readonly entries = new Map<string, MemoryEntry>();
  private writes = 0;

  async lookup(context: AppContext, sessionId: string): Promise<CacheLookup> {
    const rawSession = this.read(this.sessionKey(context, sessionId));
    const userId =
      rawSession === undefined || rawSession === TOMBSTONE
        ? undefined
        : (JSON.parse(rawSession) as CachedSession).u;
    const rawUser = userId === undefined ? undefined : this.read(this.userKey(context, userId));
    return Promise.resolve(this.decode(context, sessionId, rawSession, rawUser));
  }

  async fill(session: SessionState, user: Principal | undefined): Promise<void> {
    const key = this.sessionKey(session.context, session.id);
    if (this.read(key) === undefined)
      this.write(key, this.encodeSession(session), this.sessionTtl(session));
    if (user !== undefined) {
      const userKey = this.userKey(session.context, user.id);
      if (this.read(userKey) === undefined)
        this.write(userKey, JSON.stringify(user), this.userTtl());
    }
    return Promise.resolve();
  }

  async extend(session: SessionState): Promise<void> {
    const key = this.sessionKey(session.context, session.id);
    if (this.read(key) !== TOMBSTONE)
      this.write(key, this.encodeSession(session), this.sessionTtl(session));
    return Promise.resolve();
  }

  async invalidate(invalidations: readonly Invalidation[]): Promise<void> {
    for (const invalidation of invalidations) {
      this.write(invalidation.key, TOMBSTONE, this.tombstoneTtl(invalidation));
    }
    return Promise.resolve();
  }

  private read(key: string): string | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  private write(key: string, value: string, ttlMs: number): void {
    if (ttlMs > 0) this.entries.set(key, { value, expiresAt: Date.now() + ttlMs });
    if (++this.writes % 1_024 === 0) this.sweep();
  }

  /** Drops expired entries, so memory stays bounded by the live sessions. */
  private sweep(): void {
    const now = Date.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
