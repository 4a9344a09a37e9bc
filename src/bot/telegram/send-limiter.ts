import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyScript, MemoryMap, type NamespacedStore } from '../../redis/index.js';
import { BotCacheKeys } from '../cache-keys.js';

/** How long a window of recent sends is kept: one second, plus a margin. */
const WINDOW_MS = 1_000;

/**
 * One send, if the limits allow it now: returns 0 and records it, or the milliseconds to
 * wait. KEYS[1] the sends of the last second (a sorted set scored by time), KEYS[2] the
 * chat's gap (a key living as long as the chat must wait). ARGV: now, sends per second,
 * gap in ms (0: no chat), a unique member.
 */
const TAKE = new KeyScript<number>(
  `local now = tonumber(ARGV[1])
local gap = redis.call('PTTL', KEYS[2])
if gap > 0 then return gap end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - ${WINDOW_MS})
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + ${WINDOW_MS} - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], ${2 * WINDOW_MS})
if ARGV[3] ~= '0' then redis.call('SET', KEYS[2], '1', 'PX', ARGV[3]) end
return 0`,
  (map, [windowKey, gapKey], [nowArg, perSecond, gapMs]) => {
    const now = Number(nowArg);
    const gap = map.ttl(gapKey as string);
    if (gap > 0) return gap;
    const recent = (JSON.parse(map.get(windowKey as string) ?? '[]') as number[]).filter(
      (at) => at > now - WINDOW_MS,
    );
    if (recent.length >= Number(perSecond)) {
      return Math.max(1, Math.min(...recent) + WINDOW_MS - now);
    }
    map.set(windowKey as string, JSON.stringify([...recent, now]), 2 * WINDOW_MS);
    if (gapMs !== '0') map.set(gapKey as string, '1', Number(gapMs));
    return 0;
  },
  Number,
);

/** Makes a chat wait at least ARGV[1] ms more (Telegram's retry_after), never less than now. */
const HOLD = new KeyScript<void>(
  `if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[1], '1', 'PX', ARGV[1])
end
return 0`,
  (map, [gapKey], [ms]) => {
    if (map.ttl(gapKey as string) < Number(ms)) map.set(gapKey as string, '1', Number(ms));
  },
  () => undefined,
);

export interface SendLimits {
  /** Messages per second to all chats together (Telegram: about 30). */
  readonly perSecond: number;
  /** Least gap between two messages to one chat (Telegram: about one per second). */
  readonly chatIntervalMs: number;
}

/**
 * The bot's sending pace, shared by every process through Redis (one script per send), so
 * the limits hold for the bot as a whole. While Redis cannot answer, each process keeps
 * the same limits for itself in memory: several processes may then exceed them together,
 * and Telegram's 429 (whose retry_after is honoured) paces them.
 */
export class SendLimiter {
  private readonly logger = new Logger('SendLimiter');
  private readonly local = new MemoryMap();

  constructor(
    private readonly store: NamespacedStore,
    private readonly limits: SendLimits,
  ) {}

  /** Waits until a message may go (to `chatId`, or to no chat in particular), and counts it. */
  async acquire(chatId: string | undefined, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const wait = await this.take(chatId);
      if (wait === 0) return;
      await sleep(wait, undefined, signal === undefined ? {} : { signal });
    }
  }

  /** Nothing more to `chatId` for `ms` (a 429's retry_after). */
  async hold(chatId: string, ms: number): Promise<void> {
    const keys = [BotCacheKeys.chatGap(chatId)];
    const args = [String(Math.ceil(ms))];
    try {
      await this.store.run(HOLD, keys, args);
    } catch {
      HOLD.memory(this.local, keys.map(this.localKey), args);
    }
  }

  private async take(chatId: string | undefined): Promise<number> {
    const keys = [BotCacheKeys.sendWindow(), BotCacheKeys.chatGap(chatId ?? 'none')];
    const args = [
      String(Date.now()),
      String(this.limits.perSecond),
      chatId === undefined ? '0' : String(this.limits.chatIntervalMs),
      randomUUID(),
    ];
    try {
      return await this.store.run(TAKE, keys, args);
    } catch (error) {
      this.logger.debug(`shared limits unavailable, limiting this process: ${String(error)}`);
      return TAKE.memory(this.local, keys.map(this.localKey), args);
    }
  }

  private readonly localKey = (key: string): string => this.store.key(key);
}
