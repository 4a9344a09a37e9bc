import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppContext, CONTEXTS } from '../../common/app-context.js';
import { InjectStore, KeyScript, MemoryMap, type NamespacedStore } from '../../redis/index.js';
import { InjectBotConfig, type TelegramConfig } from '../bot-config.js';
import { BotCacheKeys } from '../cache-keys.js';

/**
 * Reserves the bot's next free moment for a message and returns how long until then (0:
 * now), or, while the chat must still wait, returns that wait without reserving (the
 * caller asks again then). Messages are evenly spaced (GCRA): one every 1000 / perSecond
 * ms for the bot, one every gap ms per chat; waiting senders hold reservations instead of
 * polling, so they do not stampede. KEYS[1] the bot's next free moment, KEYS[2] the chat's.
 * ARGV: now, the interval in ms, the chat's gap in ms (0: no chat).
 */
const RESERVE = new KeyScript<Reservation>(
  `local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local gap = tonumber(ARGV[3])
if gap > 0 then
  local chatAt = tonumber(redis.call('GET', KEYS[2]) or '0')
  if chatAt > now then return {0, math.ceil(chatAt - now)} end
end
local at = math.max(now, tonumber(redis.call('GET', KEYS[1]) or '0'))
redis.call('SET', KEYS[1], tostring(at + interval), 'PX', math.ceil(at + interval - now) + 1000)
if gap > 0 then
  redis.call('SET', KEYS[2], tostring(at + gap), 'PX', math.ceil(at + gap - now) + 1000)
end
return {1, math.ceil(at - now)}`,
  (map, [botKey, chatKey], [nowArg, intervalArg, gapArg]) => {
    const [now, interval, gap] = [Number(nowArg), Number(intervalArg), Number(gapArg)];
    if (gap > 0) {
      const chatAt = Number(map.get(chatKey as string) ?? '0');
      if (chatAt > now) return { reserved: false, waitMs: Math.ceil(chatAt - now) };
    }
    const at = Math.max(now, Number(map.get(botKey as string) ?? '0'));
    map.set(botKey as string, String(at + interval), Math.ceil(at + interval - now) + 1_000);
    if (gap > 0) map.set(chatKey as string, String(at + gap), Math.ceil(at + gap - now) + 1_000);
    return { reserved: true, waitMs: Math.ceil(at - now) };
  },
  (reply) => {
    const [reserved, waitMs] = reply as [number, number];
    return { reserved: reserved === 1, waitMs };
  },
);

interface Reservation {
  /** False: the chat must wait `waitMs` before a reservation can be made. */
  readonly reserved: boolean;
  readonly waitMs: number;
}

/** Pushes a chat's next free moment to at least now + ARGV[2] ms (Telegram's retry_after). */
const HOLD = new KeyScript<void>(
  `local until = tonumber(ARGV[1]) + tonumber(ARGV[2])
if tonumber(redis.call('GET', KEYS[1]) or '0') < until then
  redis.call('SET', KEYS[1], tostring(until), 'PX', tonumber(ARGV[2]) + 1000)
end
return 0`,
  (map, [chatKey], [nowArg, msArg]) => {
    const until = Number(nowArg) + Number(msArg);
    if (Number(map.get(chatKey as string) ?? '0') < until)
      map.set(chatKey as string, String(until), Number(msArg) + 1_000);
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
 * the limits hold for the bot as a whole: messages evenly spaced at `perSecond`, and at
 * least `chatIntervalMs` between two to one chat. While Redis cannot answer, each process keeps
 * the same limits for itself in memory: several processes may then exceed them together,
 * and Telegram's 429 (whose retry_after is honoured) paces them.
 */
@Injectable()
export class SendLimiter {
  private readonly logger = new Logger('SendLimiter');
  private readonly local = new MemoryMap();

  constructor(
    @InjectStore(CONTEXTS[AppContext.Telegram].cacheNamespace)
    private readonly store: NamespacedStore,
    @InjectBotConfig() private readonly config: TelegramConfig | null,
  ) {}

  private get limits(): SendLimits {
    if (this.config === null) throw new Error('The Telegram bot is off');
    return { perSecond: this.config.sendPerSecond, chatIntervalMs: this.config.chatSendIntervalMs };
  }

  /** Waits until a message may go (to `chatId`, or to no chat in particular), and counts it. */
  async acquire(chatId: string | undefined, signal?: AbortSignal): Promise<void> {
    const options = signal === undefined ? {} : { signal };
    for (;;) {
      const { reserved, waitMs } = await this.reserve(chatId);
      if (waitMs > 0) await sleep(waitMs, undefined, options);
      if (reserved) return;
    }
  }

  /** Nothing more to `chatId` for `ms` (a 429's retry_after). */
  async hold(chatId: string, ms: number): Promise<void> {
    const keys = [BotCacheKeys.chatNext(chatId)];
    const args = [String(Date.now()), String(Math.ceil(ms))];
    try {
      await this.store.run(HOLD, keys, args);
    } catch {
      HOLD.memory(this.local, keys.map(this.localKey), args);
    }
  }

  private async reserve(chatId: string | undefined): Promise<Reservation> {
    const keys = [BotCacheKeys.botNext(), BotCacheKeys.chatNext(chatId ?? 'none')];
    const args = [
      String(Date.now()),
      String(1_000 / this.limits.perSecond),
      chatId === undefined ? '0' : String(this.limits.chatIntervalMs),
    ];
    try {
      return await this.store.run(RESERVE, keys, args);
    } catch (error) {
      this.logger.debug(`shared limits unavailable, limiting this process: ${String(error)}`);
      return RESERVE.memory(this.local, keys.map(this.localKey), args);
    }
  }

  private readonly localKey = (key: string): string => this.store.key(key);
}
