import { KeyScript, type NamespacedStore, TOMBSTONE, TOMBSTONE_MS } from '../redis/index.js';
import type { Principal, SessionState } from './session.types.js';

/** A cached session never outlives this, whatever its remaining life. */
export const MAX_SESSION_CACHE_MS = 24 * 3_600_000;
const USER_CACHE_MS = 3_600_000;

/** A cache entry to invalidate (its full key), and the instant after which it cannot exist anyway. */
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

/** One round trip: the session, and the user it names (KEYS[1], then ARGV[1] .. its user id). */
const LOOKUP = new KeyScript<[string | undefined, string | undefined]>(
  `local session = redis.call('GET', KEYS[1])
if not session then return {} end
if session == ARGV[2] then return {session} end
local userId = string.match(session, '"u":"([^"]+)"')
if not userId then return {session} end
return {session, redis.call('GET', ARGV[1] .. userId)}`,
  (map, [key], [userPrefix, tombstone]) => {
    const session = map.get(key as string);
    if (session === undefined || session === tombstone) return [session, undefined];
    return [session, map.get(`${userPrefix}${(JSON.parse(session) as CachedSession).u}`)];
  },
  (reply) => {
    const [session, user] = reply as Array<string | null | undefined>;
    return [session ?? undefined, user ?? undefined];
  },
);

/** Sets the session unless it has been revoked (tombstoned) meanwhile. */
const EXTEND = new KeyScript<void>(
  `if redis.call('GET', KEYS[1]) == ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`,
  (map, [key], [value, ttl, tombstone]) => {
    if (map.get(key as string) !== tombstone) map.set(key as string, value as string, Number(ttl));
  },
  () => undefined,
);

/**
 * The cache side of sessions: `{ns}:session:{ctx}:{sha256}` and `{ns}:user:{ctx}:{userId}`
 * (ns = `identity`). Every key is formed here, through the store of that namespace,
 * in Redis or in process memory alike. Writes are conditional so that a revocation always
 * wins a race with a refill or an extension.
 */
export class SessionCache {
  constructor(private readonly store: NamespacedStore) {}

  sessionKey(context: string, sessionId: string): string {
    return this.store.key(this.sessionPath(context, sessionId));
  }

  userKey(context: string, userId: string): string {
    return this.store.key(this.userPath(context, userId));
  }

  /** The invalidation of a session whose cache entry could live until `expiresAt` at most. */
  sessionInvalidation(context: string, sessionId: string, expiresAt: number): Invalidation {
    return {
      key: this.sessionKey(context, sessionId),
      expiresAt: Math.min(expiresAt, Date.now() + MAX_SESSION_CACHE_MS),
    };
  }

  userInvalidation(context: string, userId: string): Invalidation {
    return { key: this.userKey(context, userId), expiresAt: Date.now() + USER_CACHE_MS };
  }

  /**
   * One round trip where a script may read two keys (one server, Sentinel, memory); on
   * Redis Cluster, where the session and its user live on different shards, two reads.
   */
  async lookup(context: string, sessionId: string): Promise<CacheLookup> {
    const [rawSession, rawUser] = this.store.multiKeySteps
      ? await this.store.run(
          LOOKUP,
          [this.sessionPath(context, sessionId)],
          [this.store.key(this.userPath(context, '')), TOMBSTONE],
        )
      : await this.readTwice(context, sessionId);
    if (rawSession === undefined) return { session: undefined, user: undefined };
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
      rawUser === undefined || rawUser === TOMBSTONE
        ? undefined
        : (JSON.parse(rawUser) as Principal);
    return { session, user };
  }

  private async readTwice(
    context: string,
    sessionId: string,
  ): Promise<[string | undefined, string | undefined]> {
    const session = await this.store.get(this.sessionPath(context, sessionId));
    if (session === undefined || session === TOMBSTONE) return [session, undefined];
    const userId = (JSON.parse(session) as CachedSession).u;
    return [session, await this.store.get(this.userPath(context, userId))];
  }

  /** Caches a session (and its user) unless an entry, live or revoked, is already there. */
  async fill(session: SessionState, user: Principal | undefined): Promise<void> {
    const ttl = this.sessionTtl(session);
    if (ttl <= 0) return;
    // Sent together: node-redis writes commands of one tick in one batch.
    await Promise.all([
      this.store.setIfAbsent(
        this.sessionPath(session.context, session.id),
        encodeSession(session),
        ttl,
      ),
      user === undefined || userTtl(user) <= 0
        ? undefined
        : this.store.setIfAbsent(
            this.userPath(session.context, user.id),
            JSON.stringify(user),
            userTtl(user),
          ),
    ]);
  }

  /** Stores a slid expiry, unless the session has been revoked meanwhile. */
  async extend(session: SessionState): Promise<void> {
    const ttl = this.sessionTtl(session);
    if (ttl <= 0) return;
    await this.store.run(
      EXTEND,
      [this.sessionPath(session.context, session.id)],
      [encodeSession(session), String(ttl), TOMBSTONE],
    );
  }

  /**
   * Tombstones the keys: a revoked session stays refused until it would have expired; a
   * changed user only for TOMBSTONE_MS, which outlives any refill based on the old state,
   * and no longer, since meanwhile that user's requests need the database. Throws when the
   * cache cannot be told.
   */
  async invalidate(invalidations: readonly Invalidation[]): Promise<void> {
    const userKeys = this.store.key('user:');
    await this.store.tombstone(
      invalidations.map(({ key, expiresAt }) => {
        const remaining = expiresAt - Date.now();
        return {
          key,
          ttlMs: key.startsWith(userKeys) ? Math.min(remaining, TOMBSTONE_MS) : remaining,
        };
      }),
    );
  }

  private sessionPath(context: string, sessionId: string): string {
    return `session:${context}:${sessionId}`;
  }

  private userPath(context: string, userId: string): string {
    return `user:${context}:${userId}`;
  }

  private sessionTtl(session: SessionState): number {
    return Math.min(session.expiresAt - Date.now(), MAX_SESSION_CACHE_MS);
  }
}

/** A cached user never outlives the nearest end of a permission granted for a time. */
function userTtl(user: Principal): number {
  return Math.min(USER_CACHE_MS, (user.validUntil ?? Number.POSITIVE_INFINITY) - Date.now());
}

/** A cached user whose permissions may have changed by now (one ended) is not believed. */
export function stillValid(user: Principal | undefined): Principal | undefined {
  return user?.validUntil !== undefined && user.validUntil <= Date.now() ? undefined : user;
}

function encodeSession(session: SessionState): string {
  const entry: CachedSession = { u: session.userId, c: session.createdAt, e: session.expiresAt };
  return JSON.stringify(entry);
}
