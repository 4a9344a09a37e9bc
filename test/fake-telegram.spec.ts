import { autoRetry } from '@grammyjs/auto-retry';
import {
  Api,
  Bot,
  type Context,
  GrammyError,
  HttpError,
  InlineKeyboard,
  InputFile,
  webhookCallback,
} from 'grammy';
import type { Update } from 'grammy/types';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { eventually } from './support/eventually.js';
import { FakeTelegram } from './support/fake-telegram.js';

/*
 * The fake Bot API is proven against grammY's own client, not against our reading of the
 * docs: if grammY (and its auto-retry plugin) behave against the fake as they do against
 * Telegram, the bot's tests can trust it.
 */

type RawMethod = (payload?: object) => Promise<unknown>;

/** A method grammY has no typed wrapper for, called through its raw client. */
function rawMethod(api: Api, method: string): RawMethod {
  const call = (api.raw as unknown as Record<string, RawMethod | undefined>)[method];
  if (call === undefined) throw new Error(`no raw method ${method}`);
  return call;
}

/** Waits for a condition on the fake's records. */
const until = (check: () => boolean): Promise<void> => eventually(() => Promise.resolve(check()));

async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to fail');
}

/** A local HTTP endpoint standing in for the application's webhook route. */
async function startReceiver(
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer((request, response) => {
    handle(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/bot/telegram/webhook`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('fake Telegram Bot API, driven by grammY', () => {
  let telegram: FakeTelegram;
  let api: Api;

  beforeEach(async () => {
    telegram = await new FakeTelegram().start();
    api = new Api(telegram.token, { apiRoot: telegram.apiRoot });
  });

  afterEach(async () => {
    await telegram.stop();
  });

  describe('protocol', () => {
    it('answers bot.init() (getMe) with the bot the token belongs to', async () => {
      const bot = new Bot(telegram.token, { client: { apiRoot: telegram.apiRoot } });
      await bot.init();
      expect(bot.botInfo).toMatchObject({
        id: Number(telegram.token.split(':')[0]),
        is_bot: true,
        username: 'exchanger_test_bot',
      });
      expect(telegram.callsTo('getMe')).toHaveLength(1);
    });

    it('refuses a wrong token with 401 Unauthorized', async () => {
      const stranger = new Api(`${telegram.botInfo.id}:wrong`, { apiRoot: telegram.apiRoot });
      const error = await failureOf(stranger.getMe());
      expect(error).toBeInstanceOf(GrammyError);
      expect(error).toMatchObject({ error_code: 401, description: 'Unauthorized' });
    });

    it('answers an unknown method with 404 "Not Found: method not found"', async () => {
      const error = await failureOf(rawMethod(api, 'sendHologram')({ chat_id: 1 }));
      expect(error).toBeInstanceOf(GrammyError);
      expect(error).toMatchObject({ error_code: 404, description: 'Not Found: method not found' });
    });

    it('reads parameters from a query string or a urlencoded body, with any method-name case', async () => {
      const ann = telegram.createUser({ first_name: 'Ann' });
      const viaQuery = await fetch(`${telegram.apiRoot}/bot${telegram.token}/GETME`);
      expect(viaQuery.status).toBe(200);
      expect(await viaQuery.json()).toMatchObject({ ok: true, result: { is_bot: true } });

      const keyboard = { inline_keyboard: [[{ text: 'Yes', callback_data: 'yes' }]] };
      const viaForm = await fetch(`${telegram.apiRoot}/bot${telegram.token}/sendMessage`, {
        method: 'POST',
        body: new URLSearchParams({
          chat_id: String(ann.id),
          text: 'Sure?',
          reply_markup: JSON.stringify(keyboard),
        }),
      });
      expect(viaForm.status).toBe(200);
      expect(await viaForm.json()).toMatchObject({
        ok: true,
        result: { chat: { id: ann.id }, text: 'Sure?', reply_markup: keyboard },
      });
    });

    it('reads a multipart request (grammY uploads files that way)', async () => {
      const receiver = 'https://example.invalid/bot/telegram/webhook';
      await api.setWebhook(receiver, {
        certificate: new InputFile(Buffer.from('-----BEGIN CERTIFICATE-----'), 'cert.pem'),
        secret_token: 'multipart_secret',
      });
      expect(telegram.webhookUrl).toBe(receiver);
      const [call] = telegram.callsTo('setWebhook');
      expect(call?.params).toMatchObject({ url: receiver, secret_token: 'multipart_secret' });
      expect(Object.values(call?.params ?? {})).toContainEqual({ filename: 'cert.pem', size: 27 });
    });

    it('refuses bad parameters with 400 Bad Request, as the real server words it', async () => {
      const ann = telegram.createUser();
      const cases: Array<[Promise<unknown>, string]> = [
        [api.sendMessage(ann.id, ''), 'Bad Request: message text is empty'],
        [rawMethod(api, 'sendMessage')({ text: 'hi' }), 'Bad Request: chat_id is empty'],
        [api.sendMessage(123, 'hi'), 'Bad Request: chat not found'],
        [api.sendMessage(ann.id, 'x'.repeat(4097)), 'Bad Request: message is too long'],
        // 33 two-byte characters: 66 bytes, over the 64 a button may carry.
        [
          api.sendMessage(ann.id, 'Pick', {
            reply_markup: new InlineKeyboard().text('Too long', 'é'.repeat(33)),
          }),
          'Bad Request: BUTTON_DATA_INVALID',
        ],
      ];
      for (const [call, description] of cases) {
        const error = await failureOf(call);
        expect(error).toBeInstanceOf(GrammyError);
        expect(error).toMatchObject({ error_code: 400, description });
      }
      expect(telegram.sentTo(ann.id)).toEqual([]);
      // 64 bytes exactly is still a button.
      await api.sendMessage(ann.id, 'Pick', {
        reply_markup: new InlineKeyboard().text('Just fits', 'é'.repeat(32)),
      });
      expect(telegram.sentTo(ann.id)).toHaveLength(1);
    });

    it('stores the command list; refuses an invalid command name', async () => {
      await api.setMyCommands([{ command: 'start', description: 'Link your account' }]);
      expect(telegram.commands()).toEqual([{ command: 'start', description: 'Link your account' }]);
      const error = await failureOf(api.setMyCommands([{ command: 'Bad-Name', description: 'x' }]));
      expect(error).toMatchObject({
        error_code: 400,
        description: 'Bad Request: BOT_COMMAND_INVALID',
      });
    });
  });

  describe('messages', () => {
    it('returns the Message Telegram would: ids per chat, shared with the user, the bot as sender', async () => {
      const ann = telegram.createUser({ first_name: 'Ann', username: 'ann' });
      const bob = telegram.createUser({ first_name: 'Bob' });
      telegram.enqueue(telegram.textMessage(ann, 'hello'));

      const first = await api.sendMessage(ann.id, 'Hi Ann', {
        reply_markup: new InlineKeyboard().text('Rates', 'rates'),
      });
      const second = await api.sendMessage(ann.id, 'Anything else?');
      const toBob = await api.sendMessage(bob.id, 'Hi Bob');

      expect([first.message_id, second.message_id, toBob.message_id]).toEqual([2, 3, 1]);
      expect(first).toMatchObject({
        from: { id: telegram.botInfo.id, is_bot: true, username: 'exchanger_test_bot' },
        chat: { id: ann.id, type: 'private', first_name: 'Ann', username: 'ann' },
        text: 'Hi Ann',
        reply_markup: { inline_keyboard: [[{ text: 'Rates', callback_data: 'rates' }]] },
      });
      expect(Math.abs(first.date - Date.now() / 1000)).toBeLessThan(5);
      expect(second.reply_markup).toBeUndefined();
      expect(telegram.sentTo(ann.id).map((message) => message.text)).toEqual([
        'Hi Ann',
        'Anything else?',
      ]);
    });

    it('edits what the user sees; refuses an edit that changes nothing or a missing message', async () => {
      const ann = telegram.createUser();
      const sent = await api.sendMessage(ann.id, 'Rate: 1.08', {
        reply_markup: new InlineKeyboard().text('Refresh', 'refresh'),
      });

      const edited = await api.editMessageText(ann.id, sent.message_id, 'Rate: 1.09');
      expect(edited).toMatchObject({ message_id: sent.message_id, text: 'Rate: 1.09' });
      expect(typeof (edited as { edit_date?: number }).edit_date).toBe('number');
      // No reply_markup in the edit: the keyboard is gone, as on Telegram.
      const [seen] = telegram.sentTo(ann.id);
      expect(seen?.text).toBe('Rate: 1.09');
      expect(seen).not.toHaveProperty('reply_markup');

      const unchanged = await failureOf(api.editMessageText(ann.id, sent.message_id, 'Rate: 1.09'));
      expect(unchanged).toBeInstanceOf(GrammyError);
      expect((unchanged as GrammyError).description).toMatch(
        /^Bad Request: message is not modified/,
      );
      const missing = await failureOf(api.editMessageText(ann.id, 999, 'Rate: 1.10'));
      expect(missing).toMatchObject({
        error_code: 400,
        description: 'Bad Request: message to edit not found',
      });
    });

    it('delivers a callback query on a message the bot sent; records the answer once', async () => {
      const bot = new Bot(telegram.token, {
        client: { apiRoot: telegram.apiRoot },
        botInfo: telegram.botInfo,
      });
      bot.callbackQuery('confirm', async (ctx) => {
        await ctx.answerCallbackQuery({ text: 'Done' });
        await ctx.editMessageText('Confirmed');
      });
      const ann = telegram.createUser();
      const question = await api.sendMessage(ann.id, 'Confirm the order?', {
        reply_markup: new InlineKeyboard().text('Yes', 'confirm'),
      });
      const update = telegram.callbackQuery(ann, question, 'confirm');
      expect(update.callback_query).toMatchObject({
        from: { id: ann.id },
        data: 'confirm',
        message: { message_id: question.message_id, chat: { id: ann.id } },
      });

      await bot.handleUpdate(update);

      expect(telegram.callbackAnswers).toEqual([
        { callbackQueryId: update.callback_query?.id, text: 'Done', showAlert: false },
      ]);
      expect(telegram.sentTo(ann.id).map((message) => message.text)).toEqual(['Confirmed']);
      const again = await failureOf(api.answerCallbackQuery(update.callback_query?.id ?? ''));
      expect(again).toMatchObject({
        error_code: 400,
        description:
          'Bad Request: query is too old and response timeout expired or query ID is invalid',
      });
    });
  });

  describe('faults', () => {
    it('429 with retry_after: @grammyjs/auto-retry waits that long, then the call succeeds', async () => {
      api.config.use(autoRetry());
      const ann = telegram.createUser();
      telegram.failNext('sendMessage', { kind: 'rate-limit', retryAfter: 1 });

      const sent = await api.sendMessage(ann.id, 'Your order is paid');

      expect(sent.text).toBe('Your order is paid');
      const [limited, retried] = telegram.callsTo('sendMessage');
      expect([limited?.status, retried?.status]).toEqual([429, 200]);
      expect((retried?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(1000);
      expect(telegram.sentTo(ann.id)).toHaveLength(1);
    });

    it('429 without auto-retry surfaces as GrammyError carrying retry_after', async () => {
      const ann = telegram.createUser();
      telegram.failNext('*', { kind: 'rate-limit', retryAfter: 7 });
      const error = await failureOf(api.sendMessage(ann.id, 'hi'));
      expect(error).toBeInstanceOf(GrammyError);
      expect(error).toMatchObject({
        error_code: 429,
        description: 'Too Many Requests: retry after 7',
        parameters: { retry_after: 7 },
      });
    });

    it('a user who blocked the bot: GrammyError 403, which auto-retry does not retry', async () => {
      api.config.use(autoRetry());
      const ann = telegram.createUser();
      telegram.blockChat(ann.id);

      const error = await failureOf(api.sendMessage(ann.id, 'Your order is paid'));

      expect(error).toBeInstanceOf(GrammyError);
      expect(error).toMatchObject({
        error_code: 403,
        description: 'Forbidden: bot was blocked by the user',
      });
      expect(telegram.callsTo('sendMessage')).toHaveLength(1);
      telegram.unblockChat(ann.id);
      await api.sendMessage(ann.id, 'Welcome back');
      expect(telegram.sentTo(ann.id)).toHaveLength(1);
    });

    it("a 5xx surfaces as GrammyError; the proxy's HTML 502 as HttpError", async () => {
      telegram.failNext('getMe', { kind: 'server-error', status: 500 });
      telegram.failNext('getMe', { kind: 'server-error', status: 502, html: true });

      const apiError = await failureOf(api.getMe());
      expect(apiError).toBeInstanceOf(GrammyError);
      expect(apiError).toMatchObject({ error_code: 500, description: 'Internal Server Error' });
      const proxyError = await failureOf(api.getMe());
      expect(proxyError).toBeInstanceOf(HttpError);
      expect(telegram.callsTo('getMe').map((call) => call.status)).toEqual([500, 502]);
    });

    it('auto-retry retries a 5xx after its fixed first backoff of 3 s', async () => {
      api.config.use(autoRetry({ maxRetryAttempts: 1 }));
      telegram.failNext('getMe', { kind: 'server-error', status: 502 });
      const started = Date.now();
      await api.getMe();
      expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
      expect(telegram.callsTo('getMe').map((call) => call.status)).toEqual([502, 200]);
    });

    it('auto-retry keeps retrying network failures past maxRetryAttempts (3 s, then 6 s)', async () => {
      api.config.use(autoRetry({ maxRetryAttempts: 1 }));
      await telegram.down('bad-gateway');
      const started = Date.now();
      const call = api.getMe();
      await sleep(4_000);
      await telegram.up();

      await expect(call).resolves.toMatchObject({ id: telegram.botInfo.id });
      // The third attempt reuses a connection idle for 6 s: the fake must not have closed it.
      expect(telegram.callsTo('getMe').map((made) => made.status)).toEqual([502, 502, 200]);
      const elapsed = Date.now() - started;
      expect(elapsed).toBeGreaterThanOrEqual(9_000);
      // A failed reuse would cost another backoff of 12 s.
      expect(elapsed).toBeLessThan(15_000);
    });

    it('a dropped connection surfaces as HttpError', async () => {
      telegram.failNext('getMe', { kind: 'drop' });
      const error = await failureOf(api.getMe());
      expect(error).toBeInstanceOf(HttpError);
      expect(telegram.callsTo('getMe')[0]?.status).toBe('dropped');
      await expect(api.getMe()).resolves.toMatchObject({ id: telegram.botInfo.id });
    });

    it('a lost answer surfaces as HttpError, though the message was sent', async () => {
      const ann = telegram.createUser();
      telegram.failNext('sendMessage', { kind: 'lose-answer' });
      const error = await failureOf(api.sendMessage(ann.id, 'did this arrive?'));
      expect(error).toBeInstanceOf(HttpError);
      expect(telegram.callsTo('sendMessage')[0]?.status).toBe('answer-lost');
      expect(telegram.sentTo(ann.id).map((message) => message.text)).toEqual(['did this arrive?']);
    });

    it("an answer slower than grammY's timeoutSeconds surfaces as HttpError", async () => {
      const impatient = new Api(telegram.token, { apiRoot: telegram.apiRoot, timeoutSeconds: 1 });
      telegram.failNext('getMe', { kind: 'delay', ms: 5_000 });
      const started = Date.now();
      const error = await failureOf(impatient.getMe());
      expect(error).toBeInstanceOf(HttpError);
      expect(String((error as HttpError).error)).toMatch(/timed out after 1 seconds/);
      expect(Date.now() - started).toBeLessThan(4_000);
    });

    it('while Telegram refuses connections, bot.init() keeps retrying until it is back', async () => {
      const bot = new Bot(telegram.token, { client: { apiRoot: telegram.apiRoot } });
      await telegram.down('refuse');
      const init = bot.init();
      await sleep(300);
      expect(bot.isInited()).toBe(false);
      expect(telegram.calls).toEqual([]);
      await telegram.up();
      await init;
      expect(bot.botInfo.id).toBe(telegram.botInfo.id);
    });

    it("while Telegram's proxy answers 502, every call fails as HttpError, until it is back", async () => {
      await telegram.down('bad-gateway');
      expect(await failureOf(api.getMe())).toBeInstanceOf(HttpError);
      expect(telegram.callsTo('getMe')[0]?.status).toBe(502);
      await telegram.up();
      await expect(api.getMe()).resolves.toMatchObject({ id: telegram.botInfo.id });
    });
  });

  describe('long polling', () => {
    it('bot.start() receives a queued command and replies; bot.stop() confirms the update', async () => {
      const bot = new Bot(telegram.token, { client: { apiRoot: telegram.apiRoot } });
      const failures: unknown[] = [];
      bot.catch((error) => void failures.push(error));
      bot.command('start', (ctx) => ctx.reply(`Linking with code ${ctx.match}`));
      bot.on('message:text', (ctx) => ctx.reply(`You said: ${ctx.msg.text}`));
      const ann = telegram.createUser();
      telegram.enqueue(telegram.command(ann, 'start', 'ABC123'));

      const polling = bot.start({ timeout: 30 });
      await until(() => telegram.sentTo(ann.id).length === 1);
      // The poll now waits (30 s); a new update must end it at once.
      await until(() => telegram.callsTo('getUpdates').length >= 2);
      const sentAt = Date.now();
      telegram.enqueue(telegram.textMessage(ann, 'hello'));
      await until(() => telegram.sentTo(ann.id).length === 2);
      expect(Date.now() - sentAt).toBeLessThan(2_000);

      const stopping = Date.now();
      await bot.stop();
      await polling;
      expect(Date.now() - stopping).toBeLessThan(2_000);

      expect(telegram.sentTo(ann.id).map((message) => message.text)).toEqual([
        'Linking with code ABC123',
        'You said: hello',
      ]);
      expect(failures).toEqual([]);
      // stop() sends the last offset: nothing is delivered twice to the next poller.
      expect(telegram.pendingUpdateCount).toBe(0);
      // bot.start() deletes any webhook first: never poll with the production token.
      expect(telegram.callsTo('deleteWebhook')).toHaveLength(1);
      expect(telegram.callsTo('getUpdates')[1]?.params).toMatchObject({ timeout: 30 });
    });

    it('a second long poll terminates the waiting one with 409, as a second bot instance would', async () => {
      const first = failureOf(api.getUpdates({ timeout: 20 }));
      await until(() => telegram.callsTo('getUpdates').length === 1);
      const second = api.getUpdates({ timeout: 20 });

      expect(await first).toMatchObject({
        error_code: 409,
        description:
          'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running',
      });
      const ann = telegram.createUser();
      telegram.enqueue(telegram.textMessage(ann, 'hi'));
      expect(await second).toEqual([expect.objectContaining({ message: expect.anything() })]);
    });

    it('getUpdates confirms by offset, honours limit and drops types not in allowed_updates', async () => {
      const ann = telegram.createUser();
      const texts = (updates: Update[]) => updates.map((update) => update.message?.text);
      telegram.enqueue(
        telegram.textMessage(ann, 'one'),
        telegram.textMessage(ann, 'two'),
        telegram.textMessage(ann, 'three'),
      );

      const firstTwo = await api.getUpdates({ limit: 2 });
      expect(texts(firstTwo)).toEqual(['one', 'two']);
      // Not confirmed yet: the same updates again.
      expect(texts(await api.getUpdates({ limit: 2 }))).toEqual(['one', 'two']);
      const rest = await api.getUpdates({ offset: (firstTwo[1]?.update_id ?? 0) + 1 });
      expect(texts(rest)).toEqual(['three']);

      const question = await api.sendMessage(ann.id, 'Pick one', {
        reply_markup: new InlineKeyboard().text('A', 'a'),
      });
      telegram.enqueue(
        telegram.textMessage(ann, 'four'),
        telegram.callbackQuery(ann, question, 'a'),
      );
      const callbacksOnly = await api.getUpdates({
        offset: (rest[0]?.update_id ?? 0) + 1,
        allowed_updates: ['callback_query'],
      });
      expect(callbacksOnly.map((update) => update.callback_query?.data)).toEqual(['a']);
      expect(telegram.pendingUpdateCount).toBe(1);
    });

    it('delivers updates as a test queues them: out of order, and one twice', async () => {
      const ann = telegram.createUser();
      const first = telegram.textMessage(ann, 'first');
      const second = telegram.textMessage(ann, 'second');
      telegram.enqueue(second, first, second);
      expect((await api.getUpdates()).map((update) => update.update_id)).toEqual([
        second.update_id,
        first.update_id,
        second.update_id,
      ]);
    });

    it('stop() ends a pending long poll at once', async () => {
      const poll = failureOf(api.getUpdates({ timeout: 50 }));
      await until(() => telegram.callsTo('getUpdates').length === 1);
      const stopping = Date.now();
      await telegram.stop();
      expect(await poll).toBeInstanceOf(HttpError);
      expect(Date.now() - stopping).toBeLessThan(1_000);
    });
  });

  describe('webhook', () => {
    const secret = 'webhook_secret_1';
    let receiver: { url: string; close: () => Promise<void> } | undefined;

    afterEach(async () => {
      await receiver?.close();
      receiver = undefined;
    });

    function botSeeing(seen: Update[]): Bot {
      const bot = new Bot(telegram.token, {
        client: { apiRoot: telegram.apiRoot },
        botInfo: telegram.botInfo,
      });
      bot.use(async (ctx: Context, next) => {
        seen.push(ctx.update);
        await next();
      });
      bot.command('start', (ctx) => ctx.reply(`Linking with code ${ctx.match}`));
      return bot;
    }

    it('posts the update with the secret header; getUpdates is refused meanwhile (409)', async () => {
      const seen: Update[] = [];
      const handle = webhookCallback(botSeeing(seen), 'http', { secretToken: secret });
      receiver = await startReceiver(handle);
      await api.setWebhook(receiver.url, { secret_token: secret });
      const ann = telegram.createUser();

      const delivery = await telegram.deliverWebhook(telegram.command(ann, 'start', 'XYZ'));

      expect(delivery.status).toBe(200);
      expect(seen).toHaveLength(1);
      expect(telegram.sentTo(ann.id).map((message) => message.text)).toEqual([
        'Linking with code XYZ',
      ]);
      expect(await api.getWebhookInfo()).toMatchObject({
        url: receiver.url,
        pending_update_count: 0,
      });
      const conflict = await failureOf(api.getUpdates());
      expect(conflict).toMatchObject({
        error_code: 409,
        description:
          "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      });
    });

    it('a receiver that refuses the secret (401) leaves the update pending for the retry', async () => {
      const seen: Update[] = [];
      receiver = await startReceiver(
        webhookCallback(botSeeing(seen), 'http', { secretToken: secret }),
      );
      await api.setWebhook(receiver.url, { secret_token: 'not_the_configured_one' });
      const ann = telegram.createUser();

      const refused = await telegram.deliverWebhook(telegram.command(ann, 'start', 'A1'));

      expect(refused.status).toBe(401);
      expect(seen).toEqual([]);
      expect(await api.getWebhookInfo()).toMatchObject({
        pending_update_count: 1,
        last_error_message: 'Wrong response from the webhook: 401 Unauthorized',
      });
      await api.setWebhook(receiver.url, { secret_token: secret });
      const retried = await telegram.deliverWebhook();
      expect(retried.status).toBe(200);
      expect(seen.map((update) => update.message?.text)).toEqual(['/start A1']);
      expect(telegram.pendingUpdateCount).toBe(0);
    });

    it('an update the receiver failed (5xx) arrives again, the same update_id', async () => {
      const seen: Update[] = [];
      const bot = botSeeing(seen);
      let failOnce = true;
      bot.on('message', () => {
        if (failOnce) {
          failOnce = false;
          throw new Error('database unavailable');
        }
      });
      receiver = await startReceiver(webhookCallback(bot, 'http', { secretToken: secret }));
      await api.setWebhook(receiver.url, { secret_token: secret });
      const ann = telegram.createUser();

      const failed = await telegram.deliverWebhook(telegram.textMessage(ann, 'rates?'));
      expect(failed.status).toBe(500);
      const redelivered = await telegram.deliverWebhook();

      expect(redelivered.status).toBe(200);
      expect(seen.map((update) => update.update_id)).toEqual([
        seen[0]?.update_id,
        seen[0]?.update_id,
      ]);
      expect(telegram.pendingUpdateCount).toBe(0);
    });

    it('performs the method call a webhook answers with (grammY webhook reply)', async () => {
      const bot = new Bot(telegram.token, {
        client: {
          apiRoot: telegram.apiRoot,
          canUseWebhookReply: (method) => method === 'sendMessage',
        },
        botInfo: telegram.botInfo,
      });
      const replies: unknown[] = [];
      bot.command('start', async (ctx) => void replies.push(await ctx.reply('Welcome')));
      receiver = await startReceiver(webhookCallback(bot, 'http', { secretToken: secret }));
      await api.setWebhook(receiver.url, { secret_token: secret });
      const ann = telegram.createUser();

      const delivery = await telegram.deliverWebhook(telegram.command(ann, 'start'));

      expect(JSON.parse(delivery.body)).toMatchObject({ method: 'sendMessage', text: 'Welcome' });
      expect(telegram.sentTo(ann.id).map((message) => message.text)).toEqual(['Welcome']);
      // The bot never learns the sent message: a webhook reply resolves to `true`.
      expect(replies).toEqual([true]);
    });

    it('setWebhook terminates a waiting long poll with 409', async () => {
      const poll = failureOf(api.getUpdates({ timeout: 20 }));
      await until(() => telegram.callsTo('getUpdates').length === 1);
      await api.setWebhook('https://example.invalid/hook');
      expect(await poll).toMatchObject({
        error_code: 409,
        description: 'Conflict: terminated by setWebhook request',
      });
    });
  });
});
