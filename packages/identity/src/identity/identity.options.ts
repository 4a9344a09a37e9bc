import type { ModuleRedisOption } from '../redis/index.js';
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
   * The roles a user may have, the host's own (default `['user']`); a context's
   * `requiredRole` and every role set on a user must be one of them.
   */
  readonly roles?: readonly string[];
  /** The role of a user who registers (default: the first of `roles`). */
  readonly registrationRole?: string;
  /**
   * Redis for sessions, users and throttling: a RedisConnection or `{ client }` with the
   * host's own node-redis client (both borrowed: never closed here), or options to open
   * one of its own; omitted, all of it lives in process memory (one process only).
   */
  readonly redis?: ModuleRedisOption;
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
  readonly roles: readonly string[];
  readonly registrationRole: string;
  readonly cookieSecure: boolean;
  readonly trustedOrigins: readonly string[];
  readonly loginThrottle: LoginThrottleOptions;
}

/** Thrown at start when the options are wrong: every problem at once, not only the first. */
export class IdentityOptionsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid IdentityModule options:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`,
    );
    this.name = 'IdentityOptionsError';
  }
}

const SAME_SITE: readonly string[] = ['lax', 'strict'];
/** A cookie name is an RFC 6265 token. */
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

function isPositive(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** Adds a problem for each named number of `group` that is given and not positive. */
function checkPositive(
  problems: string[],
  where: string,
  group: object | undefined,
  names: readonly string[],
): void {
  if (group === undefined) return;
  for (const name of names) {
    const value = (group as Record<string, unknown>)[name];
    if (!isPositive(value)) {
      problems.push(`${where}.${name} must be a positive number (got ${String(value)})`);
    }
  }
}

function contextProblems(name: string, context: IdentityContextOptions): string[] {
  const problems: string[] = [];
  const where = `contexts.${name}`;
  const { lifetime, cookie } = context;
  checkPositive(problems, `${where}.lifetime`, lifetime, ['idleMs', 'absoluteMs']);
  if (isPositive(lifetime?.idleMs) && isPositive(lifetime?.absoluteMs)) {
    if (lifetime.idleMs > lifetime.absoluteMs) {
      problems.push(`${where}.lifetime.idleMs must not exceed absoluteMs`);
    }
  }
  if (typeof cookie?.name !== 'string' || !COOKIE_NAME.test(cookie.name)) {
    problems.push(`${where}.cookie.name must be a cookie token (got ${String(cookie?.name)})`);
  }
  if (typeof cookie?.path !== 'string' || !cookie.path.startsWith('/')) {
    problems.push(`${where}.cookie.path must start with / (got ${String(cookie?.path)})`);
  }
  if (!SAME_SITE.includes(cookie?.sameSite)) {
    problems.push(
      `${where}.cookie.sameSite must be one of ${SAME_SITE.join(', ')} (got ${String(cookie?.sameSite)})`,
    );
  }
  if (context.requiredRole !== undefined && context.requiredRole.trim() === '') {
    problems.push(`${where}.requiredRole must not be empty`);
  }
  for (const permission of context.defaultPermissions ?? []) {
    if (typeof permission !== 'string' || permission.trim() === '') {
      problems.push(`${where}.defaultPermissions must hold non-empty names`);
    }
  }
  return problems;
}

/** The roles of a host that names none. */
const DEFAULT_ROLES: readonly string[] = ['user'];
/** A role is stored in `users.role`, varchar(50). */
const ROLE_NAME = /^[A-Za-z0-9_.:-]{1,50}$/;

function roleProblems(options: IdentityModuleOptions): string[] {
  const problems: string[] = [];
  const roles = options.roles ?? DEFAULT_ROLES;
  if (roles.length === 0) problems.push('roles must name at least one role');
  for (const role of roles) {
    if (typeof role !== 'string' || !ROLE_NAME.test(role)) {
      problems.push(`roles: ${String(role)} is not a role name (1 to 50 of A-Z a-z 0-9 _ . : -)`);
    }
  }
  const known = (role: string | undefined, where: string) => {
    if (role !== undefined && !roles.includes(role)) {
      problems.push(`${where} ${role} is not one of roles (${roles.join(', ')})`);
    }
  };
  known(options.registrationRole, 'registrationRole');
  for (const [name, context] of Object.entries(options.contexts ?? {})) {
    known(context.requiredRole, `contexts.${name}.requiredRole`);
  }
  return problems;
}

/** Every problem of the options, in one list (empty when they are usable). */
export function identityOptionsProblems(options: IdentityModuleOptions): string[] {
  const problems: string[] = [];
  const contexts = Object.entries(options.contexts ?? {});
  if (contexts.length === 0) problems.push('contexts must declare at least one context');
  problems.push(...roleProblems(options));
  for (const [name, context] of contexts) problems.push(...contextProblems(name, context));
  const byCookie = new Map<string, string>();
  for (const [name, context] of contexts) {
    const cookieName = context.cookie?.name;
    const other = byCookie.get(cookieName);
    if (other !== undefined) {
      problems.push(`contexts.${other} and contexts.${name} share the cookie name ${cookieName}`);
    }
    byCookie.set(cookieName, name);
  }
  checkPositive(
    problems,
    'loginThrottle',
    options.loginThrottle,
    Object.keys(options.loginThrottle ?? {}),
  );
  checkPositive(problems, 'registrationThrottle', options.registrationThrottle, [
    'max',
    'windowMs',
  ]);
  checkPositive(problems, 'accountMailThrottle', options.accountMailThrottle, [
    'perAddress',
    'perAccount',
    'windowMs',
  ]);
  for (const name of ['sessionPurgeIntervalMs', 'invalidationPollMs'] as const) {
    const value = options[name];
    if (value !== undefined && !isPositive(value)) {
      problems.push(`${name} must be a positive number (got ${String(value)})`);
    }
  }
  if (options.namespace !== undefined && options.namespace.trim() === '') {
    problems.push('namespace must not be empty');
  }
  for (const origin of options.trustedOrigins ?? []) {
    if (!URL.canParse(origin) || new URL(origin).origin !== origin) {
      problems.push(`trustedOrigins: ${origin} is not an origin (scheme://host[:port])`);
    }
  }
  return problems;
}

/** The options with every default applied; throws IdentityOptionsError listing every problem. */
export function resolveIdentityOptions(options: IdentityModuleOptions): ResolvedIdentityOptions {
  const problems = identityOptionsProblems(options);
  if (problems.length > 0) throw new IdentityOptionsError(problems);
  const roles = options.roles ?? DEFAULT_ROLES;
  return {
    ...options,
    roles,
    registrationRole: options.registrationRole ?? (roles[0] as string),
    cookieSecure: options.cookieSecure ?? true,
    trustedOrigins: options.trustedOrigins ?? [],
    loginThrottle: { ...DEFAULT_LOGIN_THROTTLE, ...options.loginThrottle },
  };
}
