import { Logger } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { EntityManager } from 'typeorm';
import { FILL_DEADLINE_MS, type NamespacedStore } from '../redis/index.js';
import type { CacheTrust } from './cache-trust.js';
import type { InvalidationOutbox } from './invalidation-outbox.js';
import { type Invalidation, type SessionCache, stillValid } from './session-cache.js';
import type { RevocationFilter, SessionRepository } from './session.repository.js';
import { isSessionId, isWellFormedToken, newSessionToken, sessionIdOf } from './session-token.js';
import type {
  ClientInfo,
  Principal,
  SessionLifetime,
  SessionState,
  SessionSummary,
  ValidatedSession,
} from './session.types.js';

export interface SessionMetrics {
  /** Validations answered by the cache, revoked ones included. */
  cacheHits: number;
  /** Validations the cache did not know, read from PostgreSQL and cached. */
  cacheMisses: number;
  /** Validations served from PostgreSQL because the cache was unreachable or not yet trusted. */
  fallbacks: number;
  /** Redis failures of this process (errors, timeouts, lost connections). */
  redisErrors: number;
  /** Invalidations recorded durably and not yet applied to Redis, all processes together. */
  invalidationsPending: number;
}

/** Which of a user's sessions a change revokes along with it. */
export interface SessionRevocation {
  readonly context?: string;
  /** Several contexts at once (with `context`, that one too). */
  readonly contexts?: readonly string[];
  readonly exceptSessionId?: string;
}

export interface NewSession {
  /** Attached to the session for its life (shown in session lists), e.g. a linked account. */
  readonly data?: Readonly<Record<string, unknown>>;
  /**
   * Create it inside this transaction: it exists exactly if the caller's change commits.
   * It is then cached by its first validation, not at once (a rolled-back session must
   * never be in the cache).
   */
  readonly manager?: EntityManager;
}

export interface CreatedSession {
  /** Given to the client once; only its hash is kept. */
  readonly token: string;
  readonly session: SessionState;
  readonly maxAgeSeconds: number;
}

/**
 * Cache-aside sessions. PostgreSQL is the truth and is always written first;
 * Redis answers validations without SQL. Revocations are committed together with an
 * outbox record and then written to Redis as tombstones, which refills cannot overwrite:
 * a revoked session is refused on the very next request, whatever races or outages.
 */
export class SessionService {
  private readonly logger = new Logger('Sessions');
  private readonly counters = { cacheHits: 0, cacheMisses: 0, fallbacks: 0 };
  /** One extension at a time per session in this process. */
  private readonly extending = new Map<string, Promise<ValidatedSession | undefined>>();

  constructor(
    private readonly repository: SessionRepository,
    private readonly cache: SessionCache,
    private readonly trust: CacheTrust,
    private readonly outbox: InvalidationOutbox,
    private readonly store: NamespacedStore,
    private readonly lifetimes: Readonly<Record<string, SessionLifetime>>,
  ) {}

  /** The contexts sessions exist in. */
  get contexts(): readonly string[] {
    return Object.keys(this.lifetimes);
  }

  async create(
    context: string,
    userId: string,
    client: ClientInfo,
    options: NewSession = {},
  ): Promise<CreatedSession> {
    const lifetime = this.lifetimes[context];
    if (lifetime === undefined) throw new Error(`Unknown session context: ${context}`);
    const token = newSessionToken();
    const now = Date.now();
    const session: SessionState = {
      id: sessionIdOf(token),
      context,
      userId,
      createdAt: now,
      expiresAt: now + Math.min(lifetime.idleMs, lifetime.absoluteMs),
    };
    await this.repository.insert(session, client, options.data, options.manager);
    if (options.manager === undefined && this.trust.usable)
      await this.cache.fill(session, undefined).catch(() => undefined);
    return { token, session, maxAgeSeconds: secondsUntil(session.expiresAt) };
  }

  /** The session a token stands for in this context, or undefined: not found, revoked, expired or malformed. */
  async validate(
    context: string,
    token: string | undefined,
  ): Promise<ValidatedSession | undefined> {
    if (!isWellFormedToken(token)) return undefined;
    return this.validateId(context, sessionIdOf(token));
  }

  /**
   * The same check for a session known by its id (the sha256 of its token): same cache
   * path, sliding expiry and revocation. For trusted in-process callers that keep the id of
   * a session they opened instead of its token (the bot, per Telegram account); never for
   * an id a client sent, since ids are not secret (session lists show them).
   */
  async validateId(context: string, id: string): Promise<ValidatedSession | undefined> {
    if (!isSessionId(id) || this.lifetimes[context] === undefined) return undefined;
    const cached = await this.lookup(context, id);
    if (cached?.session === 'revoked') return undefined;
    if (cached?.session !== undefined) {
      if (cached.session.expiresAt <= Date.now()) return undefined;
      const user = stillValid(cached.user) ?? (await this.loadUser(cached.session));
      return user === undefined ? undefined : this.slide(cached.session, user);
    }
    const readAt = Date.now();
    const found = await this.repository.findActive(id, context);
    if (found === undefined) return undefined;
    // Fill only from a fresh read: a revocation's tombstone outlives any fill this late.
    if (cached !== undefined && Date.now() - readAt < FILL_DEADLINE_MS) {
      await this.cache.fill(found.session, found.user).catch(() => undefined);
    }
    return this.slide(found.session, found.user);
  }

  /** The user's active sessions, newest first: in one context, or in all. */
  list(userId: string, context?: string): Promise<SessionSummary[]> {
    return this.repository.listActive(userId, context);
  }

  /**
   * A page of the user's active sessions in one context, newest first (keyset: `after` is the
   * id of the last session of the previous page), and the cursor of the next page, if any.
   */
  async page(
    userId: string,
    context: string,
    page: { readonly limit: number; readonly after?: string },
  ): Promise<{ items: SessionSummary[]; nextCursor: string | null }> {
    const found = await this.repository.pageActive(userId, context, {
      limit: page.limit + 1,
      after: page.after,
    });
    const items = found.slice(0, page.limit);
    return {
      items,
      nextCursor: found.length > page.limit ? (items.at(-1)?.id ?? null) : null,
    };
  }

  /** The newest `perContext` active sessions of the user in each context, and how many each has. */
  newest(
    userId: string,
    perContext: number,
  ): Promise<{ sessions: SessionSummary[]; counts: Record<string, number> }> {
    return this.repository.newestActive(userId, perContext);
  }

  /** Whether a session is active now, from PostgreSQL (optionally inside a transaction). */
  isActive(sessionId: string, manager?: EntityManager): Promise<boolean> {
    return this.repository.isActive(sessionId, manager);
  }

  /**
   * Revokes one active session of this context (only if it is this user's, when given).
   * Returns the session's user, or undefined when there was no such session.
   */
  async revoke(
    context: string,
    sessionId: string,
    userId?: string,
    alongWith?: AlongWith,
  ): Promise<string | undefined> {
    const filter: RevocationFilter =
      userId === undefined ? { id: sessionId, context } : { id: sessionId, context, userId };
    const revoked = await this.commitInvalidating((manager) =>
      this.revokeIn(manager, filter, alongWith),
    );
    return revoked.userIds[0];
  }

  /** Revokes the session a token stands for (logout); works for any token, valid or not. */
  revokeToken(context: string, token: string, alongWith?: AlongWith): Promise<string | undefined> {
    return isWellFormedToken(token)
      ? this.revoke(context, sessionIdOf(token), undefined, alongWith)
      : Promise.resolve(undefined);
  }

  /** Revokes a user's sessions (in one context, or all; optionally sparing one). Returns how many. */
  async revokeUserSessions(
    userId: string,
    scope: SessionRevocation = {},
    alongWith?: AlongWith,
  ): Promise<number> {
    const revoked = await this.commitInvalidating((manager) =>
      this.revokeIn(manager, { userId, ...filterOf(scope) }, alongWith),
    );
    return revoked.userIds.length;
  }

  /**
   * Changes what the user cache holds of a user (role, permissions, email; deletion) so that
   * no cache can keep the old state: the change, the revocation of `revokeSessions` and the
   * outbox records commit together; then the user's entries in every context are tombstoned.
   */
  async changeUser<T>(
    userId: string,
    change: (manager: EntityManager) => Promise<T>,
    revokeSessions?: SessionRevocation,
  ): Promise<T> {
    let result!: T;
    await this.commitInvalidating(async (manager) => {
      const revoked =
        revokeSessions === undefined
          ? { userIds: [], invalidations: [] }
          : await this.revokeIn(manager, { userId, ...filterOf(revokeSessions) });
      result = await change(manager);
      return {
        userIds: revoked.userIds,
        invalidations: [
          ...revoked.invalidations,
          ...this.contexts.map((context) => this.cache.userInvalidation(context, userId)),
        ],
      };
    });
    return result;
  }

  /** Active sessions per context, from PostgreSQL. */
  countActiveByContext(): Promise<Record<string, number>> {
    return this.repository.countActiveByContext();
  }

  /** Sessions created in [from, to), oldest first, as a read-only stream of rows (reports). */
  streamCreatedBetween(from: Date, to: Date): Readable & AsyncIterable<Record<string, unknown>> {
    return this.repository.streamCreatedBetween(from, to);
  }

  async metrics(): Promise<SessionMetrics> {
    return {
      ...this.counters,
      redisErrors: this.store.failures,
      invalidationsPending: await this.outbox.pending(),
    };
  }

  private async lookup(context: string, id: string) {
    if (!this.trust.usable) {
      this.counters.fallbacks++;
      return undefined;
    }
    try {
      const found = await this.cache.lookup(context, id);
      if (found.session === undefined) this.counters.cacheMisses++;
      else this.counters.cacheHits++;
      return found;
    } catch {
      this.counters.fallbacks++;
      return undefined;
    }
  }

  /** A cached session whose user is not cached (first request, or just changed). */
  private async loadUser(session: SessionState): Promise<Principal | undefined> {
    const readAt = Date.now();
    const user = await this.repository.findPrincipal(session.userId, session.context);
    if (user !== undefined && this.trust.usable && Date.now() - readAt < FILL_DEADLINE_MS) {
      await this.cache.fill(session, user).catch(() => undefined);
    }
    return user;
  }

  /**
   * Sliding expiry with bounded writes: only once less than half the idle lifetime is
   * left, never past the absolute lifetime, and never for a revoked session (the database
   * update is conditional, and the cache write cannot replace a tombstone).
   */
  private slide(session: SessionState, user: Principal): Promise<ValidatedSession | undefined> {
    const lifetime = this.lifetimes[session.context] as SessionLifetime;
    const now = Date.now();
    const halfIdle = lifetime.idleMs / 2;
    const target = Math.min(now + lifetime.idleMs, session.createdAt + lifetime.absoluteMs);
    if (session.expiresAt - now >= halfIdle || target <= session.expiresAt) {
      return Promise.resolve({ session, user });
    }
    let extension = this.extending.get(session.id);
    if (extension === undefined) {
      extension = this.extend(session, user, target, now + halfIdle).finally(() =>
        this.extending.delete(session.id),
      );
      this.extending.set(session.id, extension);
    }
    return extension;
  }

  private async extend(
    session: SessionState,
    user: Principal,
    target: number,
    unlessBeyond: number,
  ): Promise<ValidatedSession | undefined> {
    let expiresAt: number | undefined;
    try {
      expiresAt = await this.repository.extend(session.id, session.context, target, unlessBeyond);
    } catch (error) {
      // PostgreSQL unreachable: keep serving on the current expiry; a later request extends.
      this.logger.debug(`extension postponed: ${String(error)}`);
      return { session, user };
    }
    if (expiresAt === undefined) return undefined; // revoked or expired meanwhile
    const extended = { ...session, expiresAt };
    if (this.trust.usable) await this.cache.extend(extended).catch(() => undefined);
    return { session: extended, user, extendedMaxAgeSeconds: secondsUntil(expiresAt) };
  }

  private async revokeIn(
    manager: EntityManager,
    filter: RevocationFilter,
    alongWith?: AlongWith,
  ): Promise<Revocation> {
    const revoked = await this.repository.revoke(manager, filter);
    await alongWith?.(
      manager,
      revoked.map((session) => session.userId),
    );
    return {
      userIds: revoked.map((session) => session.userId),
      invalidations: revoked.map((session) =>
        this.cache.sessionInvalidation(session.context, session.id, session.expiresAt),
      ),
    };
  }

  /** Durable first: the change and its outbox records in one transaction, then the cache. */
  private async commitInvalidating(
    work: (manager: EntityManager) => Promise<Revocation>,
  ): Promise<Revocation> {
    const { outboxIds, ...done } = await this.repository.transaction(async (manager) => {
      const result = await work(manager);
      return { ...result, outboxIds: await this.outbox.record(manager, result.invalidations) };
    });
    await this.trust.apply(done.invalidations, outboxIds);
    return done;
  }
}

/**
 * Work committed in the same transaction as a revocation, given the users whose sessions
 * it revoked (a new password, the security event): either both happen or neither, so an
 * error answer means nothing was revoked.
 */
export type AlongWith = (manager: EntityManager, revokedUserIds: string[]) => Promise<unknown>;

/** What a revocation did: one user id per revoked session, and the cache entries to invalidate. */
interface Revocation {
  userIds: string[];
  invalidations: Invalidation[];
}

function filterOf(scope: SessionRevocation): Omit<RevocationFilter, 'userId' | 'id'> {
  const contexts = [
    ...(scope.contexts ?? []),
    ...(scope.context === undefined ? [] : [scope.context]),
  ];
  return {
    ...(scope.context === undefined && scope.contexts === undefined ? {} : { contexts }),
    ...(scope.exceptSessionId === undefined ? {} : { exceptId: scope.exceptSessionId }),
  };
}

function secondsUntil(instant: number): number {
  return Math.max(0, Math.floor((instant - Date.now()) / 1_000));
}
