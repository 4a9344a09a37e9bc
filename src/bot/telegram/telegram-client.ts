import { Logger } from '@nestjs/common';
import { autoRetry } from '@grammyjs/auto-retry';
import { Api, Bot, type Transformer } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { BotStateStore } from '../bot-state.js';
import type { TelegramConfig } from '../bot-config.js';
import { BotContext } from '../dialogue/update-scope.js';
import type { SendLimiter } from './send-limiter.js';

/** One Bot API call never holds a worker (and its transaction) longer than this. */
const CALL_TIMEOUT_SECONDS = 10;
/** Long polls wait this long for updates (Telegram's own maximum is 50). */
export const POLL_TIMEOUT_SECONDS = 25;
/** getMe at start: Telegram being down must not hold the start-up. */
const INIT_TIMEOUT_MS = 5_000;
/** A 429 whose retry_after is at most this is waited out in place; longer ones are rescheduled. */
const WAIT_IN_PLACE_SECONDS = 5;

/** grammY types its signals with the abort-controller package; Node's are the same at run time. */
export type ApiSignal = NonNullable<Parameters<Api['getMe']>[0]>;
export const apiSignal = (signal: AbortSignal): ApiSignal => signal as unknown as ApiSignal;

/** Methods that put a message into a chat: they count against Telegram's sending limits. */
const SENDING_METHODS: ReadonlySet<string> = new Set(['sendMessage', 'editMessageText']);

/** Updates the bot asks Telegram for (setWebhook, getUpdates). */
export const ALLOWED_UPDATES = ['message', 'callback_query'] as const;

function chatOf(payload: unknown): string | undefined {
  const chatId = (payload as { chat_id?: unknown } | undefined)?.chat_id;
  return typeof chatId === 'number' || typeof chatId === 'string' ? String(chatId) : undefined;
}

/** Every message to a chat waits for the shared sending limits first. */
function paceSends(limiter: SendLimiter): Transformer {
  return async (prev, method, payload, signal) => {
    if (SENDING_METHODS.has(method))
      await limiter.acquire(chatOf(payload), signal as AbortSignal | undefined);
    return prev(method, payload, signal);
  };
}

/**
 * grammY's Bot for this process: the Bot API client (TELEGRAM_API_ROOT), with the shared
 * sending limits and auto-retry installed. Auto-retry only waits out short 429s here:
 * 5xx and network failures are handed back at once, so that the caller's durable retry
 * (the update inbox, the notification queue) decides, with backoff, instead of a worker
 * retrying forever in place.
 */
export class TelegramClient {
  readonly bot: Bot<BotContext>;
  /** For long polling only: its calls outlast the poll's timeout. */
  readonly pollingApi: Api;
  private readonly logger = new Logger('Telegram');

  constructor(
    config: TelegramConfig,
    limiter: SendLimiter,
    private readonly state: BotStateStore,
  ) {
    this.bot = new Bot(config.token, {
      client: { apiRoot: config.apiRoot, timeoutSeconds: CALL_TIMEOUT_SECONDS },
      ContextConstructor: BotContext,
    });
    this.bot.api.config.use(paceSends(limiter));
    this.bot.api.config.use(
      autoRetry({
        maxDelaySeconds: WAIT_IN_PLACE_SECONDS,
        maxRetryAttempts: 3,
        rethrowHttpErrors: true,
        rethrowInternalServerErrors: true,
      }),
    );
    this.pollingApi = new Api(config.token, {
      apiRoot: config.apiRoot,
      timeoutSeconds: POLL_TIMEOUT_SECONDS + CALL_TIMEOUT_SECONDS,
    });
  }

  get api(): Api {
    return this.bot.api;
  }

  get ready(): boolean {
    return this.bot.isInited();
  }

  /**
   * Who the bot is (getMe), needed before any update is handled. Bounded in time: when
   * Telegram does not answer, the answer kept from an earlier start is used. Returns false
   * when neither is available; the caller tries again later.
   */
  async initialize(): Promise<boolean> {
    if (this.bot.isInited()) return true;
    try {
      await this.bot.init(apiSignal(AbortSignal.timeout(INIT_TIMEOUT_MS)));
      await this.state.set('bot_info', { ...this.bot.botInfo });
      return true;
    } catch (error) {
      await this.state.recordError('getMe', error);
      const kept = await this.state.get('bot_info').catch(() => undefined);
      if (kept === undefined) {
        this.logger.warn(`Telegram does not answer getMe yet: ${String(error)}`);
        return false;
      }
      this.bot.botInfo = kept as unknown as UserFromGetMe;
      this.logger.warn('Telegram does not answer getMe: using the bot info kept from before');
      return true;
    }
  }
}
