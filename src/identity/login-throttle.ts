import { createHash } from 'node:crypto';
import { KeyScript, MemoryMap, type NamespacedStore } from '../redis/index.js';
import { throttlingGroup } from './client-address.js';
import type { LoginThrottleOptions } from './identity.options.js';

export type ThrottleVerdict =
  { allowed: true; locks?: boolean } | { allowed: false; retryAfterSeconds: number };

/** Failures of one account are forgotten after a day without any. */
const ACCOUNT_MEMORY_MS = 24 * 3_600_000;

/**
 * Takes a slot in a fixed window of `ARGV[2]` per `ARGV[1]` ms: {1} when taken,
 * {0, ms until the window ends} when the window is full.
 */
const TAKE_WINDOW_SLOT = new KeyScript<ThrottleVerdict>(
  `local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
if n > tonumber(ARGV[2]) then return {0, redis.call('PTTL', KEYS[1])} end
return {1, 0}`,
  (map, [key], [windowMs, max]) => {
    const count = Number(map.get(key as string) ?? 0) + 1;
    const ttl = count === 1 ? Number(windowMs) : map.ttl(key as string);
    map.set(key as string, String(count), ttl);
    return count > Number(max) ? refused(ttl) : { allowed: true };
  },
  verdict,
);

/** Gives a window slot back (an attempt that succeeded does not count). */
const GIVE_WINDOW_SLOT = new KeyScript<void>(
  `if tonumber(redis.call('GET', KEYS[1]) or '0') > 0 then redis.call('DECR', KEYS[1]) end`,
  (map, [key]) => {
    const count = Number(map.get(key as string) ?? 0);
    if (count > 0) map.set(key as string, String(count - 1), map.ttl(key as string));
  },
  () => undefined,
);

/**
 * An account's attempt: refused while it is locked; otherwise counted, and the attempt
 * that reaches the limit locks the account at once (base · 2^(attempts − limit), capped),
 * before its password is even checked, so that attempts racing with it are refused.
 * The value is `attempts:lockedUntil` (epoch ms). ARGV: now, limit, base, cap, memory.
 */
const TAKE_ACCOUNT_SLOT = new KeyScript<ThrottleVerdict>(
  `local now = tonumber(ARGV[1])
local attempts, lockedUntil = 0, 0
local value = redis.call('GET', KEYS[1])
if value then
  local a, l = string.match(value, '^(%d+):(%d+)$')
  attempts, lockedUntil = tonumber(a), tonumber(l)
end
if lockedUntil > now then return {0, lockedUntil - now} end
attempts = attempts + 1
local limit = tonumber(ARGV[2])
if attempts >= limit then
  lockedUntil = now + math.min(tonumber(ARGV[3]) * 2 ^ (attempts - limit), tonumber(ARGV[4]))
end
redis.call('SET', KEYS[1], string.format('%d:%d', attempts, math.floor(lockedUntil)), 'PX', ARGV[5])
return {1, 0, lockedUntil > 0 and 1 or 0}`,
  (map, [key], [now, limit, base, cap, memory]) => {
    const [attempts = 0, lockedUntil = 0] = (map.get(key as string) ?? '0:0')
      .split(':')
      .map(Number);
    if (lockedUntil > Number(now)) return refused(lockedUntil - Number(now));
    const counted = attempts + 1;
    const lock =
      counted >= Number(limit)
        ? Number(now) + Math.min(Number(base) * 2 ** (counted - Number(limit)), Number(cap))
        : 0;
    map.set(key as string, `${counted}:${Math.floor(lock)}`, Number(memory));
    return { allowed: true, locks: lock > 0 };
  },
  verdict,
);

/** A success forgets the account's attempts and lock. */
const CLEAR = new KeyScript<void>(
  `redis.call('DEL', KEYS[1])`,
  (map, [key]) => map.delete(key as string),
  () => undefined,
);

function refused(waitMs: number): ThrottleVerdict {
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1_000)) };
}

function verdict(reply: unknown): ThrottleVerdict {
  const [allowed, waitMs, locks] = reply as [number, number, number | undefined];
  return allowed === 1 ? { allowed: true, locks: locks === 1 } : refused(Number(waitMs));
}

/** What an attempt throttles on. */
export interface AttemptScope {
  /** The session context the attempt is for: locks of one context never block another. */
  readonly context: string;
  readonly email: string;
  readonly ip: string | null;
  /** Lock the account only for this address (staff: an outsider cannot lock staff out). */
  readonly lockPerAddress?: boolean;
}

/** A reserved attempt: tell it when the password was right (a wrong one stays counted). */
export interface Attempt {
  /** This attempt reached the account's limit: if it fails, the account stays locked. */
  readonly locks: boolean;
  succeeded(): Promise<void>;
}

export type Reservation =
  | { readonly allowed: true; readonly attempt: Attempt }
  | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * Throttling of password checks (logins, password changes) and of registrations. An
 * attempt takes its slots before the password is checked — one atomic step per key, per
 * address and per account — so N parallel attempts never get more verdicts than the limit.
 * A success gives its slots back: only failures count. Per address, a fixed window; per
 * account (and context), a lock that doubles with each further failure, up to a maximum.
 * Counters live in Redis, shared by every process; while Redis is away, in this process.
 * Each step touches one key, so it runs on Redis Cluster as well.
 */
export class LoginThrottle {
  private readonly fallback = new MemoryMap();

  constructor(
    private readonly store: NamespacedStore,
    private readonly options: LoginThrottleOptions,
    private readonly registrations: { readonly max: number; readonly windowMs: number },
  ) {}

  /** Reserves a password check, or says how long a limit refuses it. */
  async reserve(scope: AttemptScope): Promise<Reservation> {
    const group = throttlingGroup(scope.ip);
    const ipKey = `login:ip:${group}`;
    const accountKey = `login:${scope.context}:account:${digest(scope.email)}${
      scope.lockPerAddress === true ? `:${group}` : ''
    }`;
    const byAddress = await this.step(TAKE_WINDOW_SLOT, ipKey, [
      String(this.options.ipWindowMs),
      String(this.options.ipMaxFailures),
    ]);
    if (!byAddress.allowed) return byAddress;
    const byAccount = await this.step(TAKE_ACCOUNT_SLOT, accountKey, [
      String(Date.now()),
      String(this.options.accountMaxFailures),
      String(this.options.lockoutMs),
      String(this.options.lockoutMaxMs),
      String(ACCOUNT_MEMORY_MS),
    ]);
    if (!byAccount.allowed) {
      await this.step(GIVE_WINDOW_SLOT, ipKey, []);
      return byAccount;
    }
    const attempt: Attempt = {
      locks: byAccount.locks === true,
      succeeded: async () => {
        await this.step(CLEAR, accountKey, []);
        await this.step(GIVE_WINDOW_SLOT, ipKey, []);
      },
    };
    return { allowed: true, attempt };
  }

  /** Takes a registration slot of the address (every registration counts, done or refused). */
  reserveRegistration(ip: string | null): Promise<ThrottleVerdict> {
    return this.step(TAKE_WINDOW_SLOT, `register:ip:${throttlingGroup(ip)}`, [
      String(this.registrations.windowMs),
      String(this.registrations.max),
    ]);
  }

  private async step<Result>(
    script: KeyScript<Result>,
    key: string,
    args: readonly string[],
  ): Promise<Result> {
    try {
      return await this.store.run(script, [key], args);
    } catch {
      // Redis away: this process counts on its own meanwhile.
      return script.memory(this.fallback, [this.store.key(key)], args);
    }
  }
}

/** Emails are hashed: the cache holds no address book. */
function digest(email: string): string {
  return createHash('sha256').update(email).digest('hex');
}
