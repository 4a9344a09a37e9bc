import { Injectable } from '@nestjs/common';
import { Bot, Composer, InlineKeyboard } from 'grammy';
import type { Update, UserFromGetMe } from 'grammy/types';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AppContext, CONTEXTS } from '../../common/app-context.js';
import { Conflict, DomainError } from '../../common/domain-error.js';
import { Permission } from '../../common/permissions.js';
import { InjectTtlCache, type TtlCache } from '../../redis/index.js';
import {
  canonicalAmount,
  convertAmount,
  EMAIL_NOT_VERIFIED,
  OrderStatus,
  OrdersService,
  type OrderView,
  RateChanged,
  RatesService,
} from '../../web/index.js';
import { BotCacheKeys } from '../cache-keys.js';
import type { Quote } from '../texts.js';
import { AccountLinks } from '../act/account-links.js';
import { ConversationStore } from '../act/conversation-store.js';
import { CommandRecords } from './command-records.js';
import type { Speaker } from '../act/speakers.js';
import { InjectBotConfig, type TelegramConfig } from '../bot-config.js';
import { BotContext, type UpdateScope, updateScopes } from './update-scope.js';

/** Command texts are cached 1 hour. */
const COMMAND_TEXT_CACHE_MS = 3_600_000;
/**
 * A quote can be confirmed this long, and only while its rate is still the rate in force
 * (the order is placed with the quoted rate as its expected rate; docs/orders.md).
 */
const QUOTE_LIFETIME_MS = 2 * 60_000;
const LATEST_ORDERS = 5;
const MAX_RATES_SHOWN = 30;
const CURRENCY = /^[A-Z0-9]{3,10}$/;
/** A positive decimal that fits numeric(18,8). */
const AMOUNT = /^\d{1,10}(\.\d{1,8})?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Inline buttons: `oc:<quote id>` confirms, `ox:<quote id>` drops the quote. */
const QUOTE_BUTTON = /^o([cx]):([0-9a-f-]{36})$/;
/** Inline buttons: `lc:<request id>` links the account, `lx:<request id>` does not. */
const LINK_BUTTON = /^l([cx]):([0-9a-f-]{36})$/;

const State = {
  Idle: 'idle',
  OrderPair: 'order:pair',
  OrderAmount: 'order:amount',
} as const;

/** A quote shown with confirm / cancel buttons, kept in the conversation's context. */
interface PendingQuote extends Quote {
  readonly id: string;
  readonly quotedAt: number;
  /** Set once placed: a second tap finds it. */
  readonly orderId?: string;
}

/**
 * A link asked for with `/start CODE`, waiting for its confirmation in the conversation's
 * context. It keeps the code's reference (its sha256), never the code.
 */
interface PendingLink {
  readonly id: string;
  readonly reference: string;
}

function words(text: string | undefined): string[] {
  return (text ?? '').trim().split(/\s+/).filter(Boolean);
}

/**
 * What the bot does with each update, as grammY middleware. Handlers answer through the
 * context's `say` / `edit` / `answer` (queued in the handling transaction), act for the
 * speaker through the web application's services, and obey the speaker's telegram-context
 * permissions. Unlinked users may use /start and /help only.
 */
@Injectable()
export class BotHandlers {
  private bot: Bot<BotContext> | undefined;

  constructor(
    private readonly orders: OrdersService,
    private readonly rates: RatesService,
    private readonly links: AccountLinks,
    private readonly conversations: ConversationStore,
    private readonly records: CommandRecords,
    @InjectTtlCache(CONTEXTS[AppContext.Telegram].cacheNamespace)
    private readonly commandsCache: TtlCache,
    @InjectBotConfig() private readonly config: TelegramConfig | null,
  ) {}

  /**
   * Runs the handlers on one update, inside its scope. `botInfo` is the bot's own identity
   * (getMe), which grammY needs to tell commands addressed to this bot.
   */
  async handle(update: Update, scope: UpdateScope, botInfo: UserFromGetMe): Promise<void> {
    this.bot ??= this.dispatcher(botInfo);
    const bot = this.bot;
    await updateScopes.run(scope, () => bot.handleUpdate(update));
  }

  /** grammY's Bot, used to route updates to the handlers only: it never calls Telegram. */
  private dispatcher(botInfo: UserFromGetMe): Bot<BotContext> {
    if (this.config === null) throw new Error('The Telegram bot is off');
    const bot = new Bot<BotContext>(this.config.token, { botInfo, ContextConstructor: BotContext });
    this.install(bot);
    return bot;
  }

  private install(bot: Bot<BotContext>): void {
    bot.use(this.refuseDirectCalls, this.recordCommands);
    const commands = new Composer<BotContext>();
    commands.command('start', (ctx) => this.start(ctx));
    commands.command('help', (ctx) => this.help(ctx));
    commands.command('rates', (ctx) => this.showRates(ctx));
    commands.command('orders', (ctx) => this.showOrders(ctx));
    commands.command('order', (ctx) => this.order(ctx));
    commands.command('cancel', (ctx) => this.cancel(ctx));
    commands.command('notify', (ctx) => this.notify(ctx));
    commands.command('unlink', (ctx) => this.unlink(ctx));
    commands.callbackQuery(QUOTE_BUTTON, (ctx) => this.quoteButton(ctx));
    commands.callbackQuery(LINK_BUTTON, (ctx) => this.linkButton(ctx));
    commands.on('callback_query', (ctx) => ctx.answer());
    commands.on('message:text', (ctx) => this.text(ctx));
    commands.on('message', (ctx) => this.help(ctx));
    bot.use(commands);
  }

  // --- middleware ------------------------------------------------------------------------

  /** Replies are queued in the transaction; a direct Bot API call would escape it. */
  private readonly refuseDirectCalls = async (ctx: BotContext, next: () => Promise<void>) => {
    ctx.api.config.use(() => {
      throw new Error('Handlers answer through ctx.say, ctx.edit and ctx.answer');
    });
    await next();
  };

  /** Every command and button press, with its arguments, result and duration. */
  private readonly recordCommands = async (ctx: BotContext, next: () => Promise<void>) => {
    const started = performance.now();
    await next();
    const durationMs = Math.round(performance.now() - started);
    const text = ctx.message?.text;
    const entity = ctx.message?.entities?.[0];
    if (text !== undefined && entity?.type === 'bot_command' && entity.offset === 0) {
      const name = (text.slice(1, entity.length).split('@')[0] ?? '').toLowerCase();
      const args = text.slice(entity.length).trim();
      await this.records.record(ctx.scope, name, { args }, ctx.scope.result, durationMs);
    } else if (ctx.callbackQuery !== undefined) {
      const data = ctx.callbackQuery.data ?? '';
      await this.records.record(ctx.scope, 'button', { data }, ctx.scope.result, durationMs);
    }
  };

  // --- who may do what -------------------------------------------------------------------

  /** The speaker, if linked and holding `permission`; otherwise says why not and returns undefined. */
  private async speaker(ctx: BotContext, permission?: string): Promise<Speaker | undefined> {
    const { speaker } = ctx.scope;
    if (speaker === undefined) {
      ctx.scope.result = 'unlinked';
      if (ctx.callbackQuery === undefined) await ctx.say(ctx.texts.notLinked);
      else await ctx.answer(ctx.texts.notLinked, true);
      return undefined;
    }
    if (permission !== undefined && !speaker.permissions.includes(permission)) {
      ctx.scope.result = 'forbidden';
      if (ctx.callbackQuery === undefined) await ctx.say(ctx.texts.forbidden(permission));
      else await ctx.answer(ctx.texts.forbidden(permission), true);
      return undefined;
    }
    return speaker;
  }

  /** Runs a request to the web application; its refusals are told to the user. */
  private async refusable<T>(ctx: BotContext, work: () => Promise<T>): Promise<T | undefined> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      ctx.scope.result = 'refused';
      const message =
        error.code === EMAIL_NOT_VERIFIED
          ? ctx.texts.emailNotVerified
          : ctx.texts.refused(error.message);
      if (ctx.callbackQuery === undefined) await ctx.say(message);
      else await ctx.answer(message, true);
      return undefined;
    }
  }

  private usage(ctx: BotContext, text: string): Promise<void> {
    ctx.scope.result = 'usage';
    return ctx.say(text);
  }

  // --- commands --------------------------------------------------------------------------

  /**
   * `/start CODE` links nothing yet: it shows whose account the code belongs to (masked)
   * and asks this Telegram user to confirm, so that a code sent by someone else cannot
   * bind this account to theirs unnoticed.
   */
  private async start(ctx: BotContext): Promise<void> {
    const code = String(ctx.match ?? '').trim();
    if (code === '') {
      await ctx.say(ctx.scope.speaker === undefined ? ctx.texts.welcome : ctx.texts.help);
      return;
    }
    const found = await this.links.find(code);
    if (found === undefined) {
      ctx.scope.result = 'refused';
      await ctx.say(ctx.texts.badCode);
      return;
    }
    const link: PendingLink = { id: randomUUID(), reference: found.reference };
    await this.setState(ctx, State.Idle, { link });
    await ctx.say(
      ctx.texts.confirmLink(found.maskedEmail),
      new InlineKeyboard()
        .text(ctx.texts.confirmButton, `lc:${link.id}`)
        .text(ctx.texts.cancelButton, `lx:${link.id}`),
    );
  }

  /**
   * A press on a link request's button. The request lives in the conversation of the
   * Telegram user who sent `/start`: anyone else's press finds none. Either button closes
   * it; Confirm redeems the code, which must still be good (single use, not voided since).
   */
  private async linkButton(ctx: BotContext): Promise<void> {
    const [, action, requestId] = ctx.match as RegExpMatchArray;
    const link = ctx.scope.conversation.context.link as PendingLink | undefined;
    const messageId = ctx.callbackQuery?.message?.message_id;
    if (link === undefined || link.id !== requestId) {
      ctx.scope.result = 'expired';
      return ctx.answer(ctx.texts.linkExpired, true);
    }
    await this.setState(ctx, ctx.scope.conversation.state, {});
    const linked = action === 'c' && (await this.links.link(ctx.scope, link.reference));
    if (action === 'c' && !linked) ctx.scope.result = 'refused';
    const outcome =
      action === 'x' ? ctx.texts.linkDropped : linked ? ctx.texts.linked : ctx.texts.badCode;
    if (messageId !== undefined) await ctx.edit(messageId, outcome);
    await ctx.answer(outcome, action === 'c' && !linked);
  }

  private async help(ctx: BotContext): Promise<void> {
    const text = await this.commandsCache.wrap(
      BotCacheKeys.command(`help:${ctx.scope.language}`),
      COMMAND_TEXT_CACHE_MS,
      () => Promise.resolve(ctx.texts.help),
    );
    await ctx.say(text);
  }

  private async showRates(ctx: BotContext): Promise<void> {
    if ((await this.speaker(ctx)) === undefined) return;
    const args = words(String(ctx.match ?? '')).map((word) => word.toUpperCase());
    if (args.length === 0) {
      const all = await this.rates.currentAll();
      await ctx.say(
        all.length === 0 ? ctx.texts.noRates : ctx.texts.rates(all.slice(0, MAX_RATES_SHOWN)),
      );
      return;
    }
    const [from, to] = args;
    if (args.length !== 2 || from === undefined || to === undefined)
      return this.usage(ctx, ctx.texts.usage.rates);
    const rate = await this.refusable(ctx, () => this.rates.current(from, to));
    if (rate !== undefined) await ctx.say(ctx.texts.rates([rate]));
  }

  private async showOrders(ctx: BotContext): Promise<void> {
    const speaker = await this.speaker(ctx, Permission.OrdersRead);
    if (speaker === undefined) return;
    const latest = await this.orders.list(speaker.userId, LATEST_ORDERS, 0);
    await ctx.say(latest.length === 0 ? ctx.texts.noOrders : ctx.texts.orders(latest));
  }

  private async order(ctx: BotContext): Promise<void> {
    const speaker = await this.speaker(ctx, Permission.OrdersWrite);
    if (speaker === undefined) return;
    const args = words(String(ctx.match ?? ''));
    if (args.length === 0) {
      await this.setState(ctx, State.OrderPair, {});
      await ctx.say(ctx.texts.askPair);
      return;
    }
    const [from, to, amount] = args;
    if (args.length !== 3 || from === undefined || to === undefined || amount === undefined)
      return this.usage(ctx, ctx.texts.usage.order);
    await this.quote(ctx, from.toUpperCase(), to.toUpperCase(), amount);
  }

  private async cancel(ctx: BotContext): Promise<void> {
    const args = words(String(ctx.match ?? ''));
    if (args.length === 0 && ctx.scope.conversation.state !== State.Idle) {
      await this.setState(ctx, State.Idle, ctx.scope.conversation.context);
      await ctx.say(ctx.texts.dialogueLeft);
      return;
    }
    const speaker = await this.speaker(ctx, Permission.OrdersWrite);
    if (speaker === undefined) return;
    const [orderId] = args;
    if (args.length !== 1 || orderId === undefined || !UUID.test(orderId))
      return this.usage(ctx, ctx.texts.usage.cancel);
    const cancelled = await this.refusable(ctx, () =>
      this.cancelOrder(speaker.userId, orderId.toLowerCase()),
    );
    if (cancelled !== undefined) await ctx.say(ctx.texts.cancelled(cancelled));
  }

  /** Cancels; a repeat of a cancel that happened (a retried update) finds it cancelled. */
  private async cancelOrder(userId: string, orderId: string): Promise<OrderView> {
    try {
      return await this.orders.cancel(userId, orderId);
    } catch (error) {
      if (!(error instanceof Conflict)) throw error;
      const order = await this.orders.get(userId, orderId);
      if (order.status === OrderStatus.Cancelled) return order;
      throw error;
    }
  }

  private async notify(ctx: BotContext): Promise<void> {
    if ((await this.speaker(ctx)) === undefined) return;
    const [choice, ...rest] = words(String(ctx.match ?? '')).map((word) => word.toLowerCase());
    if (rest.length > 0 || (choice !== 'on' && choice !== 'off'))
      return this.usage(ctx, ctx.texts.usage.notify);
    ctx.scope.conversation = await this.conversations.update(
      ctx.scope.manager,
      ctx.scope.conversation,
      { notificationsEnabled: choice === 'on' },
    );
    await ctx.say(ctx.texts.notifications(choice === 'on'));
  }

  private async unlink(ctx: BotContext): Promise<void> {
    const speaker = await this.speaker(ctx);
    if (speaker === undefined) return;
    await this.links.unlink(ctx.scope, speaker.userId, speaker.sessionId);
    await ctx.say(ctx.texts.unlinked);
  }

  // --- the order dialogue ----------------------------------------------------------------

  /** Text outside a command: the next step of a dialogue, or help. */
  private async text(ctx: BotContext): Promise<void> {
    const { state, context } = ctx.scope.conversation;
    if (state === State.OrderPair) {
      if ((await this.speaker(ctx, Permission.OrdersWrite)) === undefined) return;
      const [from, to, ...rest] = words(ctx.message?.text).map((word) => word.toUpperCase());
      if (from === undefined || to === undefined || rest.length > 0)
        return this.usage(ctx, ctx.texts.askPair);
      const checked = await this.refusable(ctx, () => {
        this.rates.checkPair(from, to);
        return Promise.resolve(true);
      });
      if (checked === undefined) return;
      await this.setState(ctx, State.OrderAmount, { ...context, pair: { from, to } });
      await ctx.say(ctx.texts.askAmount(from));
      return;
    }
    if (state === State.OrderAmount) {
      if ((await this.speaker(ctx, Permission.OrdersWrite)) === undefined) return;
      const pair = context.pair as { from: string; to: string } | undefined;
      const [amount, ...rest] = words(ctx.message?.text);
      if (pair === undefined) return this.setState(ctx, State.Idle, {});
      if (amount === undefined || rest.length > 0)
        return this.usage(ctx, ctx.texts.askAmount(pair.from));
      await this.quote(ctx, pair.from, pair.to, amount);
      return;
    }
    await this.help(ctx);
  }

  /** Shows the order to confirm, with its buttons; the quote waits in the conversation. */
  private async quote(ctx: BotContext, from: string, to: string, amount: string): Promise<void> {
    if (!CURRENCY.test(from) || !CURRENCY.test(to)) return this.usage(ctx, ctx.texts.usage.order);
    if (!AMOUNT.test(amount) || Number(amount) <= 0) return this.usage(ctx, ctx.texts.badAmount);
    const rate = await this.refusable(ctx, () => this.rates.current(from, to));
    if (rate === undefined) return;
    const counterAmount = convertAmount(amount, rate.rate);
    if (counterAmount === undefined) return this.usage(ctx, ctx.texts.amountTooLarge);
    const quote: PendingQuote = {
      id: randomUUID(),
      from,
      to,
      amount: canonicalAmount(amount),
      rate: rate.rate,
      counterAmount,
      quotedAt: Date.now(),
    };
    await this.setState(ctx, State.Idle, { quote });
    await ctx.say(
      ctx.texts.confirm(quote),
      new InlineKeyboard()
        .text(ctx.texts.confirmButton, `oc:${quote.id}`)
        .text(ctx.texts.cancelButton, `ox:${quote.id}`),
    );
  }

  /**
   * A press on a quote's button. Confirm places the order with an idempotency key derived
   * from the quote, not from the press: a double tap is two updates, one order.
   */
  private async quoteButton(ctx: BotContext): Promise<void> {
    const [, action, quoteId] = ctx.match as RegExpMatchArray;
    const speaker = await this.speaker(ctx, action === 'c' ? Permission.OrdersWrite : undefined);
    if (speaker === undefined) return;
    const quote = ctx.scope.conversation.context.quote as PendingQuote | undefined;
    const messageId = ctx.callbackQuery?.message?.message_id;
    if (quote === undefined || quote.id !== quoteId) {
      ctx.scope.result = 'expired';
      return ctx.answer(ctx.texts.expired, true);
    }
    if (quote.orderId !== undefined) return ctx.answer(ctx.texts.alreadyPlaced);
    if (action === 'x' || Date.now() - quote.quotedAt > QUOTE_LIFETIME_MS) {
      if (action === 'c') ctx.scope.result = 'expired';
      await this.setState(ctx, ctx.scope.conversation.state, {});
      if (messageId !== undefined)
        await ctx.edit(messageId, action === 'x' ? ctx.texts.droppedQuote : ctx.texts.expired);
      return ctx.answer(action === 'x' ? ctx.texts.droppedQuote : ctx.texts.expired);
    }
    const placed = await this.refusable(ctx, () =>
      this.orders
        .create(
          speaker.userId,
          {
            fromCurrency: quote.from,
            toCurrency: quote.to,
            amount: quote.amount,
            expectedRate: quote.rate,
          },
          `telegram-quote:${quote.id}`,
        )
        .catch((error: unknown) => {
          if (error instanceof RateChanged) return error;
          throw error;
        }),
    );
    if (placed === undefined) return;
    if (placed instanceof RateChanged) {
      // Nothing was placed: the quote is dropped, and the question says why.
      ctx.scope.result = 'refused';
      await this.setState(ctx, ctx.scope.conversation.state, {});
      const text = ctx.texts.rateChanged(quote, placed.currentRate);
      if (messageId !== undefined) await ctx.edit(messageId, text);
      return ctx.answer(text, true);
    }
    await this.setState(ctx, ctx.scope.conversation.state, {
      quote: { ...quote, orderId: placed.order.id },
    });
    if (messageId !== undefined) await ctx.edit(messageId, ctx.texts.placed(placed.order));
    await ctx.answer(ctx.texts.placed(placed.order).split('\n')[0]);
  }

  private async setState(
    ctx: BotContext,
    state: string,
    context: Record<string, unknown>,
  ): Promise<void> {
    ctx.scope.conversation = await this.conversations.update(
      ctx.scope.manager,
      ctx.scope.conversation,
      { state, context },
    );
  }
}
