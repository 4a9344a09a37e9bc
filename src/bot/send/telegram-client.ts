import { errorText } from '@exchanger/identity';
import { Injectable, Logger } from '@nestjs/common';
import { autoRetry } from '@grammyjs/auto-retry';
import { Api, type Transformer } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import { InjectBotConfig, type TelegramConfig } from '../bot-config.js';
import { BotStateStore } from '../bot-state.js';
import { SendLimiter } from './send-limiter.js';

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
 * The Bot API for this process (TELEGRAM_API_ROOT), with the shared sending limits and
 * auto-retry installed. Auto-retry only waits out short 429s here: 5xx and network failures
 * are handed back at once, so that the caller's durable retry (the update inbox, the
 * outgoing queue) decides, with backoff, instead of a worker retrying forever in place.
 * Unusable (it throws) while the bot is off.
 */
@Injectable()
export class TelegramClient {
  private readonly logger = new Logger('Telegram');
  private readonly apis: { readonly calls: Api; readonly polling: Api } | undefined;
  private me: UserFromGetMe | undefined;

  constructor(
    @InjectBotConfig() config: TelegramConfig | null,
    limiter: SendLimiter,
    private readonly state: BotStateStore,
  ) {
    if (config === null) return;
    const calls = new Api(config.token, {
      apiRoot: config.apiRoot,
      timeoutSeconds: CALL_TIMEOUT_SECONDS,
    });
    calls.config.use(paceSends(limiter));
    calls.config.use(
      autoRetry({
        maxDelaySeconds: WAIT_IN_PLACE_SECONDS,
        maxRetryAttempts: 3,
        rethrowHttpErrors: true,
        rethrowInternalServerErrors: true,
      }),
    );
    // Long polls outlast a call's timeout.
    const polling = new Api(config.token, {
      apiRoot: config.apiRoot,
      timeoutSeconds: POLL_TIMEOUT_SECONDS + CALL_TIMEOUT_SECONDS,
    });
    this.apis = { calls, polling };
  }

  get api(): Api {
    return this.usable().calls;
  }

  /** For long polling only. */
  get pollingApi(): Api {
    return this.usable().polling;
  }

  /** Who the bot is, once `initialize` has found out. */
  get botInfo(): UserFromGetMe | undefined {
    return this.me;
  }

  /**
   * Who the bot is (getMe), needed before any update is handled. Bounded in time: when
   * Telegram does not answer, the answer kept from an earlier start is used. Returns
   * undefined when neither is available; the caller tries again later.
   */
  async initialize(): Promise<UserFromGetMe | undefined> {
    if (this.me !== undefined) return this.me;
    try {
      this.me = await this.api.getMe(apiSignal(AbortSignal.timeout(INIT_TIMEOUT_MS)));
      await this.state.set('bot_info', { ...this.me });
    } catch (error) {
      await this.state.recordError('getMe', error);
      const kept = await this.state.get('bot_info').catch(() => undefined);
      if (kept === undefined) {
        this.logger.warn(`Telegram does not answer getMe yet: ${errorText(error)}`);
        return undefined;
      }
      this.me = kept as unknown as UserFromGetMe;
      this.logger.warn('Telegram does not answer getMe: using the bot info kept from before');
    }
    return this.me;
  }

  private usable(): { readonly calls: Api; readonly polling: Api } {
    if (this.apis === undefined) throw new Error('The Telegram bot is off');
    return this.apis;
  }
}
