import { createHash } from 'node:crypto';
import { KeyScript, MemoryMap, type NamespacedStore } from '../redis/index.js';
import { throttlingGroup } from './client-address.js';
import type { LoginThrottleOptions } from './identity.options.js';

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfterSeconds: number };

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

/** Whether a window of at most `ARGV[1]` still has room, taking nothing. */
const PEEK_WINDOW = new KeyScript<ThrottleVerdict>(
  `if tonumber(redis.call('GET', KEYS[1]) or '0') >= tonumber(ARGV[1]) then
  return {0, redis.call('PTTL', KEYS[1])}
end
return {1, 0}`,
  (map, [key], [max]) =>
    Number(map.get(key as string) ?? 0) >= Number(max)
      ? refused(map.ttl(key as string))
      : { allowed: true },
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

/** A failure slot as taken: whether it closed the key, and the closing it replaced. */
type TakenFailure =
  | { allowed: true; closes: boolean; previousUntil: number; until: number }
  | { allowed: false; retryAfterSeconds: number };

/**
 * A failure of an account, counted before its password is checked: refused while the key is
 * closed; otherwise counted, and from the `limit`-th failure on the attempt closes the key at
 * once (for base · 2^(failures − limit), capped), so that attempts racing with it are refused.
 * The account lock and the slowdown across addresses are both this step, with their own key
 * and numbers. The value is `failures:closedUntil` (epoch ms). ARGV: now, limit, base, cap,
 * memory. Answers {1, 0, closes, closedUntil before, closedUntil after} or {0, ms to wait}.
 */
const TAKE_FAILURE_SLOT = new KeyScript<TakenFailure>(
  `local now = tonumber(ARGV[1])
local failures, closedUntil = 0, 0
local value = redis.call('GET', KEYS[1])
if value then
  local f, c = string.match(value, '^(%d+):(%d+)$')
  failures, closedUntil = tonumber(f), tonumber(c)
end
if closedUntil > now then return {0, closedUntil - now} end
local previous = closedUntil
failures = failures + 1
local limit = tonumber(ARGV[2])
local closes = 0
if failures >= limit then
  closes = 1
  closedUntil = math.floor(now + math.min(tonumber(ARGV[3]) * 2 ^ (failures - limit), tonumber(ARGV[4])))
end
redis.call('SET', KEYS[1], string.format('%d:%d', failures, closedUntil), 'PX', ARGV[5])
return {1, 0, closes, previous, closedUntil}`,
  (map, [key], [now, limit, base, cap, memory]) => {
    const [failures = 0, previous = 0] = (map.get(key as string) ?? '0:0').split(':').map(Number);
    if (previous > Number(now)) return refused(previous - Number(now));
    const counted = failures + 1;
    const closes = counted >= Number(limit);
    const until = closes
      ? Math.floor(
          Number(now) + Math.min(Number(base) * 2 ** (counted - Number(limit)), Number(cap)),
        )
      : previous;
    map.set(key as string, `${counted}:${until}`, Number(memory));
    return { allowed: true, closes, previousUntil: previous, until };
  },
  (reply) => {
    const [allowed, waitMs, closes, previousUntil, until] = reply as number[];
    return allowed === 1
      ? {
          allowed: true,
          closes: closes === 1,
          previousUntil: Number(previousUntil),
          until: Number(until),
        }
      : refused(Number(waitMs));
  },
);

/**
 * Gives a failure slot back (the attempt did not fail): one failure less, and the closing it
 * made undone unless a later attempt has closed the key since. ARGV: closedUntil before, after.
 */
const GIVE_FAILURE_SLOT = new KeyScript<void>(
  `local value = redis.call('GET', KEYS[1])
if not value then return end
local f, c = string.match(value, '^(%d+):(%d+)$')
local failures, closedUntil = tonumber(f), tonumber(c)
if failures > 0 then failures = failures - 1 end
if closedUntil == tonumber(ARGV[2]) then closedUntil = tonumber(ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('SET', KEYS[1], string.format('%d:%d', failures, closedUntil), 'PX', ttl) end`,
  (map, [key], [previous, until]) => {
    const value = map.get(key as string);
    if (value === undefined) return;
    const [failures = 0, closedUntil = 0] = value.split(':').map(Number);
    const restored = closedUntil === Number(until) ? Number(previous) : closedUntil;
    map.set(key as string, `${Math.max(0, failures - 1)}:${restored}`, map.ttl(key as string));
  },
  () => undefined,
);

/** A success forgets the account's attempts and lock. */
const CLEAR = new KeyScript<void>(
  `redis.call('DEL', KEYS[1])`,
  (map, [key]) => map.delete(key as string),
  () => undefined,
);

function refused(waitMs: number): { allowed: false; retryAfterSeconds: number } {
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1_000)) };
}

function verdict(reply: unknown): ThrottleVerdict {
  const [allowed, waitMs] = reply as [number, number];
  return allowed === 1 ? { allowed: true } : refused(Number(waitMs));
}

/** What an attempt throttles on. */
export interface AttemptScope {
  /** The session context the attempt is for: locks of one context never block another. */
  readonly context: string;
  readonly email: string;
  readonly ip: string | null;
  /**
   * Lock the account only for this address (staff: an outsider cannot lock staff out); the
   * account's failures across addresses then slow its attempts down instead.
   */
  readonly lockPerAddress?: boolean;
  /** A login (it makes a session): successful ones are bounded per account too. */
  readonly login?: boolean;
}

/** A reserved attempt: say how it ended (a wrong password needs no call: it stays counted). */
export interface Attempt {
  /** This attempt reached the account's limit: if it fails, the account stays locked. */
  readonly locks: boolean;
  /** This attempt set (or lengthened) the account's slowdown across addresses. */
  readonly slows: boolean;
  /**
   * The password was right: the slots are given back (only failures count), and a login
   * takes a slot of the account's successful logins, refused past their ceiling.
   */
  succeeded(): Promise<ThrottleVerdict>;
  /**
   * The attempt ended for the server's reason (the database away, a timeout, a store error):
   * its slots are given back, as if it never happened.
   */
  abandoned(): Promise<void>;
}

/** Why an attempt is refused: the address, the account's slowdown or lock, or its successes. */
export type RefusalReason = 'address' | 'slowed' | 'locked' | 'successes';

export type Reservation =
  | { readonly allowed: true; readonly attempt: Attempt }
  | {
      readonly allowed: false;
      readonly reason: RefusalReason;
      readonly retryAfterSeconds: number;
    };

/** A failure slot taken on one key, to be given back. */
interface HeldFailure {
  readonly key: string;
  readonly previousUntil: number;
  readonly until: number;
}

/**
 * Throttling of password checks (logins, password changes) and of registrations. An
 * attempt takes its slots before the password is checked — one atomic step per key, per
 * address and per account — so N parallel attempts never get more verdicts than the limit.
 * A success gives its slots back, and so does an attempt the server could not judge (the
 * database away): only wrong passwords count. Per address, a fixed window; per account (and
 * context), a lock that doubles with each further failure, up to a maximum. Where the lock
 * is per address (staff), the account's failures across addresses also slow it down: past a
 * threshold, a least interval between attempts that doubles with each further failure.
 * Successful logins of an account are bounded per window (each costs a hash and a session).
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

  /** Reserves a password check, or says which limit refuses it and for how long. */
  async reserve(scope: AttemptScope): Promise<Reservation> {
    const account = digest(scope.email);
    const group = throttlingGroup(scope.ip);
    const successKey = `login:successes:${account}`;
    if (scope.login === true) {
      const room = await this.step(PEEK_WINDOW, successKey, [
        String(this.options.accountMaxSuccesses),
      ]);
      if (!room.allowed) return { ...room, reason: 'successes' };
    }
    const ipKey = `login:ip:${group}`;
    const byAddress = await this.step(TAKE_WINDOW_SLOT, ipKey, [
      String(this.options.ipWindowMs),
      String(this.options.ipMaxFailures),
    ]);
    if (!byAddress.allowed) return { ...byAddress, reason: 'address' };

    const held: HeldFailure[] = [];
    const giveBack = async () => {
      for (const slot of held) await this.giveFailure(slot);
      await this.step(GIVE_WINDOW_SLOT, ipKey, []);
    };
    const slowdownKey = `login:${scope.context}:slowdown:${account}`;
    const perAddress = scope.lockPerAddress === true;
    const slowdown = perAddress
      ? await this.takeFailure(slowdownKey, [
          this.options.slowdownAfterFailures,
          this.options.slowdownMs,
          this.options.slowdownMaxMs,
        ])
      : undefined;
    if (slowdown?.allowed === false) {
      await giveBack();
      return { ...slowdown, reason: 'slowed' };
    }
    if (slowdown !== undefined) held.push({ key: slowdownKey, ...slowdown });

    const accountKey = `login:${scope.context}:account:${account}${perAddress ? `:${group}` : ''}`;
    const lock = await this.takeFailure(accountKey, [
      this.options.accountMaxFailures,
      this.options.lockoutMs,
      this.options.lockoutMaxMs,
    ]);
    if (!lock.allowed) {
      await giveBack();
      return { ...lock, reason: 'locked' };
    }

    const attempt: Attempt = {
      locks: lock.closes,
      slows: slowdown?.closes === true,
      succeeded: async () => {
        // The account's own lock is forgotten; failures others made across addresses are not.
        await this.step(CLEAR, accountKey, []);
        await giveBack();
        if (scope.login !== true) return { allowed: true };
        return this.step(TAKE_WINDOW_SLOT, successKey, [
          String(this.options.successWindowMs),
          String(this.options.accountMaxSuccesses),
        ]);
      },
      abandoned: async () => {
        held.push({ key: accountKey, ...lock });
        await giveBack();
      },
    };
    return { allowed: true, attempt };
  }

  /**
   * Takes a slot of an action's window for the address (IPv6: its /64) and one for the
   * account named by `email` (known or not, so the answer tells nothing); refused while
   * either is full. For actions that send mail (a password reset, a verification mail).
   */
  async reserveAction(
    action: string,
    ip: string | null,
    email: string,
    limits: { readonly perAddress: number; readonly perAccount: number; readonly windowMs: number },
  ): Promise<ThrottleVerdict> {
    const window = String(limits.windowMs);
    const byAddress = await this.step(TAKE_WINDOW_SLOT, `${action}:ip:${throttlingGroup(ip)}`, [
      window,
      String(limits.perAddress),
    ]);
    if (!byAddress.allowed) return byAddress;
    return this.step(TAKE_WINDOW_SLOT, `${action}:account:${digest(email)}`, [
      window,
      String(limits.perAccount),
    ]);
  }

  /** Takes a registration slot of the address (every registration counts, done or refused). */
  reserveRegistration(ip: string | null): Promise<ThrottleVerdict> {
    return this.step(TAKE_WINDOW_SLOT, `register:ip:${throttlingGroup(ip)}`, [
      String(this.registrations.windowMs),
      String(this.registrations.max),
    ]);
  }

  private takeFailure(
    key: string,
    [limit, baseMs, capMs]: readonly [number, number, number],
  ): Promise<TakenFailure> {
    return this.step(TAKE_FAILURE_SLOT, key, [
      String(Date.now()),
      String(limit),
      String(baseMs),
      String(capMs),
      String(ACCOUNT_MEMORY_MS),
    ]);
  }

  private giveFailure(slot: HeldFailure): Promise<void> {
    return this.step(GIVE_FAILURE_SLOT, slot.key, [String(slot.previousUntil), String(slot.until)]);
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
