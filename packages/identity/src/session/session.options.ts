import type { ModuleRedisOption } from '../redis/index.js';
import type { PrincipalSource } from './principal-source.js';
import type { SessionLifetime } from './session.types.js';

/** What `SessionModule.forRoot` needs; no configuration shape of the host is assumed. */
export interface SessionModuleOptions {
  /** Every context sessions may be created in, with how long its sessions live. */
  readonly contexts: Readonly<Record<string, SessionLifetime>>;
  /** Who a session's user is (see PrincipalSource). */
  readonly principals: PrincipalSource;
  /**
   * The Redis connection or `{ client }` (node-redis) to cache on (borrowed: the host closes
   * it), or options to open one of its own; omitted, sessions are cached in process memory
   * (one process only).
   */
  readonly redis?: ModuleRedisOption;
  /** The Redis namespace of session and user keys (`identity` by default). */
  readonly namespace?: string;
  /** How often ended sessions are purged (default 5 minutes). */
  readonly purgeIntervalMs?: number;
  /** How often each process applies cache invalidations that did not reach Redis (default 1 s). */
  readonly invalidationPollMs?: number;
}

export const SESSION_OPTIONS = Symbol('SESSION_OPTIONS');
export const SESSION_DATA_SOURCE = Symbol('SESSION_DATA_SOURCE');
export const SESSION_STORE = Symbol('SESSION_STORE');

export const SESSION_DEFAULTS = {
  namespace: 'identity',
  purgeIntervalMs: 300_000,
  invalidationPollMs: 1_000,
} as const;
