import type { RedisConnection, RedisOptions } from '../redis/index.js';
import type { SessionLifetime } from '../session/index.js';
import type { MailOptions } from './mail/mail-transport.js';

/** One session context of the host: how its sessions live and travel, and who may hold one. */
export interface IdentityContextOptions {
  readonly lifetime: SessionLifetime;
  /** The session cookie: its name, its path (the context's route prefix) and SameSite. */
  readonly cookie: {
    readonly name: string;
    readonly path: string;
    readonly sameSite: 'lax' | 'strict';
  };
  /**
   * Only users of this role have a session here: logging in is refused otherwise, and a
   * user whose role changes away from it loses the context at once.
   */
  readonly requiredRole?: string;
  /** Granted in this context when a user registers. */
  readonly defaultPermissions?: readonly string[];
  /**
   * Lock an account after failed logins only for the address they came from (staff: an
   * outsider who knows a staff email cannot lock staff out of their panel).
   */
  readonly lockPerAddress?: boolean;
}

/** Failed-login throttling (only failures count; successes at a human pace are never blocked). */
export interface LoginThrottleOptions {
  /** Failed logins from one address (IPv6: one /64) within the window, before 429. */
  readonly ipMaxFailures: number;
  readonly ipWindowMs: number;
  /** Failed logins for one account before it is locked; each further failure doubles the lock. */
  readonly accountMaxFailures: number;
  readonly lockoutMs: number;
  readonly lockoutMaxMs: number;
  /**
   * Where the lock is per address (staff), failures of one account across all addresses
   * past this many slow it down instead: each further failure doubles the least interval
   * between attempts on the account (from `slowdownMs` up to `slowdownMaxMs`); sooner is 429.
   */
  readonly slowdownAfterFailures: number;
  readonly slowdownMs: number;
  readonly slowdownMaxMs: number;
  /** Successful logins of one account within the window (each costs a hash and a session). */
  readonly accountMaxSuccesses: number;
  readonly successWindowMs: number;
}

/** What `IdentityModule.forRoot` needs; no configuration shape of the host is assumed. */
export interface IdentityModuleOptions {
  /** Every session context, by the name routes declare (`@ContextController(name, …)`). */
  readonly contexts: Readonly<Record<string, IdentityContextOptions>>;
  /**
   * The Redis connection for sessions, users and throttling (borrowed), or options to open
   * one of its own; omitted, all of it lives in process memory (one process only).
   */
  readonly redis?: RedisConnection | RedisOptions;
  /** Send cookies with `Secure` (default true; turn off only for plain local HTTP). */
  readonly cookieSecure?: boolean;
  /** Origins besides the API's own that may send unsafe requests (the browser apps). */
  readonly trustedOrigins?: readonly string[];
  readonly loginThrottle?: Partial<LoginThrottleOptions>;
  /** Registrations per address (IPv6: /64) and window (default 20 an hour). */
  readonly registrationThrottle?: { readonly max: number; readonly windowMs: number };
  /**
   * Requests that send mail to an account (a password reset), per address (IPv6: /64) and
   * per account, per window (default 10 and 3 an hour).
   */
  readonly accountMailThrottle?: {
    readonly perAddress: number;
    readonly perAccount: number;
    readonly windowMs: number;
  };
  /**
   * Mail (password reset, email verification, security alerts): the sender and the SMTP
   * relay. Absent: no mail, and the flows that need it answer 503.
   */
  readonly mail?: MailOptions;
  /** Redis namespace of sessions, users and throttling counters (default `identity`). */
  readonly namespace?: string;
  readonly sessionPurgeIntervalMs?: number;
  readonly invalidationPollMs?: number;
}

export const IDENTITY_OPTIONS = Symbol('IDENTITY_OPTIONS');
export const IDENTITY_DATA_SOURCE = Symbol('IDENTITY_DATA_SOURCE');

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = {
  ipMaxFailures: 50,
  ipWindowMs: 900_000,
  accountMaxFailures: 5,
  lockoutMs: 60_000,
  lockoutMaxMs: 3_600_000,
  slowdownAfterFailures: 20,
  slowdownMs: 1_000,
  slowdownMaxMs: 300_000,
  accountMaxSuccesses: 30,
  successWindowMs: 60_000,
};

/** The options with every default applied. */
export interface ResolvedIdentityOptions extends IdentityModuleOptions {
  readonly cookieSecure: boolean;
  readonly trustedOrigins: readonly string[];
  readonly loginThrottle: LoginThrottleOptions;
}

export function resolveIdentityOptions(options: IdentityModuleOptions): ResolvedIdentityOptions {
  return {
    ...options,
    cookieSecure: options.cookieSecure ?? true,
    trustedOrigins: options.trustedOrigins ?? [],
    loginThrottle: { ...DEFAULT_LOGIN_THROTTLE, ...options.loginThrottle },
  };
}
