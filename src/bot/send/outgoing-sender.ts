import { type Backoff, backoffDelayMs, errorText, BackgroundJob } from '@exchanger/identity';
import { Injectable, Logger } from '@nestjs/common';
import { GrammyError, HttpError } from 'grammy';
import { AppContext, CONTEXTS } from '../../common/app-context.js';
import { InjectStore, type NamespacedStore } from '../../redis/index.js';
import { InjectBotConfig, type TelegramConfig } from '../bot-config.js';
import { BotStateStore } from '../bot-state.js';
import { BotCacheKeys } from '../cache-keys.js';
import { type ClaimedCall, type Delivery, OutgoingQueue } from './outgoing-queue.js';
import { SendLimiter } from './send-limiter.js';
import { TelegramClient } from './telegram-client.js';

/** Calls claimed per round (one per chat); the shared limits pace them. */
const BATCH = 30;
/** After a 5xx or a network failure, the next try of the call waits longer each time. */
const RETRY: Backoff = { firstMs: 1_000, maxMs: 5 * 60_000 };
/** Network failures that prove the call never reached Telegram. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

type RawCall = (payload: Record<string, unknown>) => Promise<unknown>;

/**
 * True when a failed call certainly did not reach Telegram (a refused connection). Anything
 * else may have: a reset or timed-out connection, a proxy's error page (a gateway timeout
 * can come after the API acted).
 */
function certainlyNotSent(error: HttpError): boolean {
  const code = (error.error as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && NOT_SENT_CODES.has(code);
}

/**
 * Delivers the outgoing queue through the Bot API: every pending call, one at a time per
 * chat and in order, at the shared pace (SendLimiter). 429 waits out `retry_after` (the
 * chat is held that long); 5xx and network failures are retried with backoff; 403 (the
 * user blocked the bot) drops the chat's pending calls and marks the conversation
 * blocked; other refusals are final. At least once: a call whose outcome is unknown (a
 * lost answer, a sender that died between sending and marking) is sent again, silently,
 * so that a repeat, should the first have arrived, rings nothing. Runs in every process
 * while the bot is on; the queue's claims share the work.
 */
@Injectable()
export class OutgoingSender extends BackgroundJob {
  private readonly logger = new Logger('OutgoingSender');
  /** Outcomes Telegram gave that the database did not take yet: recorded before anything else. */
  private unsettled: Array<{ call: ClaimedCall; delivery: Delivery }> = [];

  constructor(
    @InjectBotConfig() config: TelegramConfig | null,
    private readonly queue: OutgoingQueue,
    private readonly client: TelegramClient,
    private readonly limiter: SendLimiter,
    private readonly state: BotStateStore,
    @InjectStore(CONTEXTS[AppContext.Telegram].cacheNamespace)
    private readonly cache: NamespacedStore,
  ) {
    super();
    if (config === null) return;
    this.runs({
      name: 'OutgoingSender',
      round: () => this.round(),
      intervalMs: config.pollIntervalMs,
    });
  }

  /** One round; true when it found calls to deliver. */
  private async round(): Promise<boolean> {
    await this.settleLeftovers();
    const calls = await this.queue.claim(BATCH);
    await Promise.all(calls.map((call) => this.process(call)));
    return calls.length > 0;
  }

  private async process(call: ClaimedCall): Promise<void> {
    const delivery: Delivery = call.expired ? { kind: 'expired' } : await this.deliver(call);
    if ('error' in delivery) await this.state.recordError(call.method, delivery.error);
    try {
      await this.queue.settle(call, delivery);
    } catch (error) {
      // Kept in memory and recorded before the next claim; should the process die first,
      // the claim expires and the call is sent again, silently.
      this.unsettled.push({ call, delivery });
      throw error;
    }
    if (delivery.kind === 'blocked') await this.forgetConversation(call.chatId);
  }

  private async settleLeftovers(): Promise<void> {
    while (this.unsettled.length > 0) {
      const { call, delivery } = this.unsettled[0] as { call: ClaimedCall; delivery: Delivery };
      await this.queue.settle(call, delivery);
      this.unsettled.shift();
      if (delivery.kind === 'blocked') await this.forgetConversation(call.chatId);
    }
  }

  private async deliver(call: ClaimedCall): Promise<Delivery> {
    const payload =
      call.inDoubt && call.method === 'sendMessage'
        ? { ...call.payload, disable_notification: true }
        : call.payload;
    const raw = this.client.api.raw as unknown as Record<string, RawCall>;
    try {
      const result = await (raw[call.method] as RawCall)(payload);
      const messageId = (result as { message_id?: unknown } | undefined)?.message_id;
      return {
        kind: 'sent',
        messageId: typeof messageId === 'number' ? messageId : this.editedMessage(call),
      };
    } catch (error) {
      return this.classify(call, error);
    }
  }

  private async classify(call: ClaimedCall, error: unknown): Promise<Delivery> {
    if (error instanceof GrammyError) {
      const retryAfter = error.parameters.retry_after;
      if (error.error_code === 429 && typeof retryAfter === 'number') {
        await this.limiter.hold(call.chatId, retryAfter * 1_000);
        return { kind: 'retry', delayMs: retryAfter * 1_000, inDoubt: false, error: error.message };
      }
      if (error.error_code === 403) return { kind: 'blocked', error: error.description };
      if (error.error_code >= 500) {
        return {
          kind: 'retry',
          delayMs: backoffDelayMs(call.attempts, RETRY),
          inDoubt: false,
          error: error.message,
        };
      }
      // A repeat of an edit or an answer that did arrive the first time is refused as such.
      if (call.inDoubt && call.method !== 'sendMessage' && error.error_code === 400) {
        return { kind: 'sent', messageId: this.editedMessage(call) };
      }
      this.logger.warn(`${call.method} refused: ${error.description}`);
      return { kind: 'failed', error: error.description };
    }
    const inDoubt = !(error instanceof HttpError && certainlyNotSent(error));
    return {
      kind: 'retry',
      delayMs: backoffDelayMs(call.attempts, RETRY),
      inDoubt,
      error: errorText(error),
    };
  }

  /** The queue marked the conversation blocked: its cached copy must go. */
  private async forgetConversation(chatId: string): Promise<void> {
    await this.cache.invalidate(BotCacheKeys.conversation(chatId));
  }

  private editedMessage(call: ClaimedCall): number | undefined {
    const id = call.method === 'editMessageText' ? call.payload.message_id : undefined;
    return typeof id === 'number' ? id : undefined;
  }
}
