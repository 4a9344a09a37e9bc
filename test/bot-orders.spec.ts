import { UsersService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createClient } from '@redis/client';
import type { Message } from 'grammy/types';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { AppContext } from '../src/common/app-context.js';
import { RatesService, WebSettings } from '../src/web/index.js';
import { Texts, textsIn } from '../src/bot/texts.js';
import {
  botDatabase,
  deliver,
  linkedUser,
  seen,
  waitForMessages,
  waitUntilIdle,
  webDatabase,
  botDeployment,
  type BotDeployment,
} from './support/bot.js';
import { eventually } from './support/eventually.js';
import { FakeTelegram } from './support/fake-telegram.js';
import { confirmPayment, confirmPayout } from './support/provider.js';
import { TEST_REDIS_URL } from './support/test-env.js';
import { cookieFor } from './support/users.js';

/** Commands, the order dialogue, orders by button and the notifications of their progress. */
describe('the bot: commands, orders and notifications', () => {
  let telegram: FakeTelegram;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const redis = createClient({ url: TEST_REDIS_URL });

  let deployment: BotDeployment;

  beforeAll(async () => {
    await redis.connect();
    deployment = await botDeployment('orders');
    ({ telegram, app } = deployment);
    await app.get(RatesService).setRate('USD', 'EUR', '0.92');
    await app.get(RatesService).setRate('EUR', 'USD', '1.08');
  });
  afterAll(async () => {
    await redis.close();
    await deployment.close();
  });

  /** Sends a command and returns the bot's answer (the next message the user sees). */
  async function ask(user: Parameters<typeof telegram.command>[0], name: string, args?: string) {
    const before = telegram.sentTo(user.id).length;
    await deliver(telegram, telegram.command(user, name, args));
    return (await waitForMessages(telegram, user, before + 1)).text;
  }

  async function say(user: Parameters<typeof telegram.textMessage>[0], text: string) {
    const before = telegram.sentTo(user.id).length;
    await deliver(telegram, telegram.textMessage(user, text));
    return (await waitForMessages(telegram, user, before + 1)).text;
  }

  it('links with /start CODE, orders by button (a double tap places one order), and notifies payment and payout', async () => {
    const { web, webToken, telegramUser: ann } = await linkedUser(app, telegram);
    expect(seen(telegram, ann)).toEqual([expect.stringMatching(/now linked/)]);

    expect(await ask(ann, 'rates', 'USD EUR')).toBe('Current rates:\nUSD/EUR: 0.92000000');

    const confirmation = await ask(ann, 'order', 'USD EUR 100');
    expect(confirmation).toBe('Exchange 100.00000000 USD for 92.00000000 EUR at 0.92000000?');
    const question = telegram.sentTo(ann.id).at(-1) as Message;
    const [confirm] = question.reply_markup?.inline_keyboard[0] ?? [];
    const data = (confirm as { callback_data: string }).callback_data;

    // The user taps Confirm twice: two updates, one order.
    const answered = telegram.callbackAnswers.length;
    await deliver(telegram, telegram.callbackQuery(ann, question, data));
    await deliver(telegram, telegram.callbackQuery(ann, question, data));
    await waitUntilIdle(app);
    const orders = await http()
      .get('/web/orders')
      .set('Cookie', cookieFor(AppContext.Web, webToken))
      .expect(200);
    expect(orders.body).toHaveLength(1);
    const orderId = orders.body[0].id as string;
    expect(orders.body[0]).toMatchObject({ amount: '100.00000000', status: 'pending' });
    // The question became the confirmation; both taps were answered.
    expect(telegram.sentTo(ann.id).at(-1)?.text).toContain(`ID: ${orderId}`);
    expect(telegram.sentTo(ann.id).at(-1)?.reply_markup).toBeUndefined();
    expect(telegram.callbackAnswers.slice(answered).map((answer) => answer.text)).toEqual([
      expect.stringMatching(/^Order placed/),
      'This order is already placed.',
    ]);

    // The provider confirms the payment, then the payout: two notifications.
    const payment = await http()
      .post(`/web/orders/${orderId}/payments`)
      .set('Cookie', cookieFor(AppContext.Web, webToken))
      .send({ paymentMethod: 'card' })
      .expect(201);
    const before = telegram.sentTo(ann.id).length;
    await confirmPayment(app, payment.body, 'completed').expect(200);
    expect((await waitForMessages(telegram, ann, before + 1)).text).toBe(
      `Order ${orderId} (100.00000000 USD → 92.00000000 EUR) is paid.`,
    );
    await confirmPayout(app, orderId).expect(200);
    expect((await waitForMessages(telegram, ann, before + 2)).text).toMatch(/is completed/);
    // A message reaches the chat before the sender marks it sent.
    await waitUntilIdle(app);

    const notifications: Array<{ notification_type: string; sent: boolean }> = await botDatabase(
      app,
    ).query(
      'SELECT notification_type, sent FROM notifications WHERE user_id = $1 ORDER BY created_at',
      [web.id],
    );
    expect(notifications).toEqual([
      { notification_type: 'order.paid', sent: true },
      { notification_type: 'order.completed', sent: true },
    ]);
    expect(await ask(ann, 'orders')).toContain(
      `${orderId}\n  100.00000000 USD → 92.00000000 EUR: completed`,
    );
  });

  it('asks step by step for /order without arguments, refuses what is wrong, and can be left', async () => {
    const { webToken, telegramUser: bob } = await linkedUser(app, telegram);
    expect(await ask(bob, 'order')).toMatch(/^Which currencies\?/);
    expect(await say(bob, 'usd xyz')).toBe('Not done: to XYZ is not a supported currency');
    expect(await say(bob, 'eur usd')).toMatch(/^How much EUR\?/);
    expect(await say(bob, 'lots')).toBe(
      'Not done: the amount must be a positive number like 100.50',
    );
    expect(await say(bob, '10.5')).toBe(
      'Exchange 10.50000000 EUR for 11.34000000 USD at 1.08000000?',
    );
    // The dialogue state lives in the conversation: /cancel alone leaves it.
    expect(await ask(bob, 'order')).toMatch(/^Which currencies\?/);
    expect(await ask(bob, 'cancel')).toBe('OK, stopped.');
    expect(await say(bob, 'eur usd')).toBe(Texts.help);
    // No order was placed by any of it.
    const orders = await http()
      .get('/web/orders')
      .set('Cookie', cookieFor(AppContext.Web, webToken))
      .expect(200);
    expect(orders.body).toEqual([]);
  });

  it('places nothing when the quote is cancelled, and refuses a stale button', async () => {
    const { webToken, telegramUser: cem } = await linkedUser(app, telegram);
    await ask(cem, 'order', 'USD EUR 5');
    const first = telegram.sentTo(cem.id).at(-1) as Message;
    await ask(cem, 'order', 'USD EUR 6');
    const second = telegram.sentTo(cem.id).at(-1) as Message;
    const buttons = (message: Message) =>
      (message.reply_markup?.inline_keyboard[0] ?? []).map(
        (button) => (button as { callback_data: string }).callback_data,
      );
    // The first quote was replaced by the second: its button is refused.
    await deliver(telegram, telegram.callbackQuery(cem, first, buttons(first)[0] as string));
    await deliver(telegram, telegram.callbackQuery(cem, second, buttons(second)[1] as string));
    await waitUntilIdle(app);
    expect(telegram.callbackAnswers.slice(-2)).toEqual([
      expect.objectContaining({ text: Texts.expired, showAlert: true }),
      expect.objectContaining({ text: 'Not placed.' }),
    ]);
    expect(seen(telegram, cem).at(-1)).toBe('Not placed.');
    const orders = await http()
      .get('/web/orders')
      .set('Cookie', cookieFor(AppContext.Web, webToken))
      .expect(200);
    expect(orders.body).toEqual([]);
  });

  it('places no order at a new rate: staff change the rate between the quote and the tap, the tap is refused and the quote dropped', async () => {
    const { webToken, telegramUser: kim } = await linkedUser(app, telegram);
    const rates = app.get(RatesService);
    await rates.setRate('GBP', 'USD', '1.25');
    expect(await ask(kim, 'order', 'GBP USD 100')).toBe(
      'Exchange 100.00000000 GBP for 125.00000000 USD at 1.25000000?',
    );
    const question = telegram.sentTo(kim.id).at(-1) as Message;
    const [confirm] = question.reply_markup?.inline_keyboard[0] ?? [];
    const data = (confirm as { callback_data: string }).callback_data;
    await rates.setRate('GBP', 'USD', '1.20');

    await deliver(telegram, telegram.callbackQuery(kim, question, data));
    await waitUntilIdle(app);
    const said =
      'The rate changed: GBP/USD is now 1.20000000, not 1.25000000. Nothing was placed; send /order again.';
    expect(telegram.callbackAnswers.at(-1)).toEqual(
      expect.objectContaining({ text: said, showAlert: true }),
    );
    // The question says it too, without its buttons; a second tap finds no quote.
    const edited = telegram.sentTo(kim.id).at(-1) as Message;
    expect(edited).toMatchObject({ message_id: question.message_id, text: said });
    expect(edited.reply_markup).toBeUndefined();
    await deliver(telegram, telegram.callbackQuery(kim, question, data));
    await waitUntilIdle(app);
    expect(telegram.callbackAnswers.at(-1)).toEqual(
      expect.objectContaining({ text: Texts.expired }),
    );
    const orders = () =>
      http().get('/web/orders').set('Cookie', cookieFor(AppContext.Web, webToken)).expect(200);
    expect((await orders()).body).toEqual([]);

    // Ordered again, the new quote holds at the new rate.
    expect(await ask(kim, 'order', 'GBP USD 100')).toMatch(/at 1\.20000000\?$/);
    const again = telegram.sentTo(kim.id).at(-1) as Message;
    const [confirmAgain] = again.reply_markup?.inline_keyboard[0] ?? [];
    await deliver(
      telegram,
      telegram.callbackQuery(kim, again, (confirmAgain as { callback_data: string }).callback_data),
    );
    await waitUntilIdle(app);
    expect((await orders()).body).toEqual([
      expect.objectContaining({ exchangeRate: '1.20000000', counterAmount: '120.00000000' }),
    ]);
  });

  it('cancels an order with /cancel ID and notifies it; another user’s order is not found', async () => {
    const { webToken, telegramUser: dan } = await linkedUser(app, telegram);
    const { telegramUser: eve } = await linkedUser(app, telegram);
    expect(await ask(dan, 'orders')).toBe('You have no orders yet. Place one with /order.');
    const order = await http()
      .post('/web/orders')
      .set('Cookie', cookieFor(AppContext.Web, webToken))
      .send({ fromCurrency: 'USD', toCurrency: 'EUR', amount: '20' })
      .expect(201);
    expect(await ask(eve, 'cancel', order.body.id)).toBe('Not done: No such order');
    expect(await ask(dan, 'cancel', 'not-an-id')).toBe(Texts.usage.cancel);
    const before = telegram.sentTo(dan.id).length;
    await deliver(telegram, telegram.command(dan, 'cancel', order.body.id));
    await waitForMessages(telegram, dan, before + 2);
    expect(seen(telegram, dan).slice(before).sort()).toEqual([
      `Order ${order.body.id} (20.00000000 USD → 18.40000000 EUR) is cancelled.`,
      `Order ${order.body.id} cancelled.`,
    ]);
  });

  it('sends no notification while notifications are off (/notify off), and again once on', async () => {
    const { webToken, telegramUser: fay } = await linkedUser(app, telegram);
    expect(await ask(fay, 'notify', 'maybe')).toBe(Texts.usage.notify);
    expect(await ask(fay, 'notify', 'off')).toMatch(/Notifications are off/);
    const place = async () =>
      (
        await http()
          .post('/web/orders')
          .set('Cookie', cookieFor(AppContext.Web, webToken))
          .send({ fromCurrency: 'USD', toCurrency: 'EUR', amount: '1' })
          .expect(201)
      ).body.id as string;
    const cancel = (id: string) =>
      http()
        .post(`/web/orders/${id}/cancel`)
        .set('Cookie', cookieFor(AppContext.Web, webToken))
        .expect(200);
    await cancel(await place());
    await eventually(async () => (await webOutboxPending(app)) === 0);
    expect(await ask(fay, 'notify', 'on')).toBe('Notifications are on.');
    const count = telegram.sentTo(fay.id).length;
    const second = await place();
    await cancel(second);
    expect((await waitForMessages(telegram, fay, count + 1)).text).toContain(`Order ${second}`);
    expect(
      telegram.sentTo(fay.id).filter((message) => message.text.includes('is cancelled')),
    ).toHaveLength(1);
  });

  it('answers unknown text and commands with help, through the 1-hour command cache of its language', async () => {
    const { telegramUser: gus } = await linkedUser(app, telegram);
    await redis.del('cache:telegram:commands:help:en');
    expect(await say(gus, 'hello?')).toBe(Texts.help);
    expect(await ask(gus, 'dance')).toBe(Texts.help);
    expect(await ask(gus, 'help')).toBe(Texts.help);
    const ttl = await redis.pTTL('cache:telegram:commands:help:en');
    expect(ttl).toBeGreaterThan(3_500_000);
    expect(ttl).toBeLessThanOrEqual(3_600_000);
  });

  it('obeys the telegram-context permissions: without orders:write no order, with orders:read the list', async () => {
    const { web, webToken, telegramUser: hal } = await linkedUser(app, telegram);
    await app.get(UsersService).revokePermission(web.id, AppContext.Telegram, 'orders:write');
    expect(await ask(hal, 'order', 'USD EUR 5')).toBe(
      'You do not have the permission orders:write here.',
    );
    expect(await ask(hal, 'orders')).toMatch(/no orders yet/);
    await app.get(UsersService).revokePermission(web.id, AppContext.Telegram, 'orders:read');
    expect(await ask(hal, 'orders')).toBe('You do not have the permission orders:read here.');
    // The web context keeps its own permissions: the same user still orders and lists there.
    const webCookie = cookieFor(AppContext.Web, webToken);
    await http()
      .post('/web/orders')
      .set('Cookie', webCookie)
      .send({ fromCurrency: 'USD', toCurrency: 'EUR', amount: '5' })
      .expect(201);
    expect(
      (await http().get('/web/orders').set('Cookie', webCookie).expect(200)).body,
    ).toHaveLength(1);
  });

  it('refuses the order of a user whose email is not verified while staff require it, saying why in the user’s language', async () => {
    const settings = app.get(WebSettings);
    const { webToken, telegramUser: ivy } = await linkedUser(
      app,
      telegram,
      telegram.createUser({
        id: 900_000_000 + Math.floor(Math.random() * 1e8),
        language_code: 'ru',
      }),
    );
    await settings.set('orders.requireVerifiedEmail', true, randomUUID());
    try {
      await ask(ivy, 'order', 'USD EUR 5');
      const question = telegram.sentTo(ivy.id).at(-1) as Message;
      const [confirm] = question.reply_markup?.inline_keyboard[0] ?? [];
      const answered = telegram.callbackAnswers.length;
      await deliver(
        telegram,
        telegram.callbackQuery(ivy, question, (confirm as { callback_data: string }).callback_data),
      );
      await waitUntilIdle(app);
      expect(telegram.callbackAnswers.slice(answered)).toEqual([
        expect.objectContaining({ text: textsIn('ru').emailNotVerified, showAlert: true }),
      ]);
      const orders = await http()
        .get('/web/orders')
        .set('Cookie', cookieFor(AppContext.Web, webToken))
        .expect(200);
      expect(orders.body).toEqual([]);
    } finally {
      await settings.set('orders.requireVerifiedEmail', false, randomUUID());
    }
  });

  it('records every message and command: direction, command, arguments, result, duration', async () => {
    const { telegramUser: ida } = await linkedUser(app, telegram);
    await ask(ida, 'rates', 'USD EUR');
    await ask(ida, 'rates', 'USD');
    // /orders reads the orders table; another transaction holds it for 600 ms meanwhile, so
    // the command takes at least that long, and its recorded duration must say so.
    const holder = webDatabase(app).createQueryRunner();
    await holder.startTransaction();
    await holder.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    const asked = Date.now();
    const listed = ask(ida, 'orders');
    await sleep(600);
    await holder.commitTransaction();
    await holder.release();
    await listed;
    const wallMs = Date.now() - asked;
    await say(ida, 'just text');
    await waitUntilIdle(app);
    const bot = botDatabase(app);
    const commands: Array<{
      command: string;
      parameters: object;
      result: string;
      duration_ms: number;
    }> = await bot.query(
      `SELECT command, parameters, result, duration_ms FROM user_commands
         WHERE telegram_user_id = $1 ORDER BY executed_at, command`,
      [ida.id],
    );
    expect(
      commands.map(({ command, parameters, result }) => ({ command, parameters, result })),
    ).toEqual([
      { command: 'start', parameters: { args: '****' }, result: 'ok' },
      { command: 'button', parameters: { data: expect.stringMatching(/^lc:/) }, result: 'ok' },
      { command: 'rates', parameters: { args: 'USD EUR' }, result: 'ok' },
      { command: 'rates', parameters: { args: 'USD' }, result: 'usage' },
      { command: 'orders', parameters: { args: '' }, result: 'ok' },
    ]);
    const held = commands.find((command) => command.command === 'orders')?.duration_ms ?? 0;
    expect(held).toBeGreaterThanOrEqual(550);
    expect(held).toBeLessThanOrEqual(wallMs);
    for (const { command, duration_ms } of commands)
      if (command !== 'orders') expect(duration_ms).toBeLessThan(held);
    const messages: Array<{ direction: string; message_type: string }> = await bot.query(
      `SELECT m.direction, m.message_type FROM messages m JOIN conversations c ON c.id = m.conversation_id
       WHERE c.telegram_user_id = $1 ORDER BY m.sent_at, m.direction`,
      [ida.id],
    );
    expect(messages).toEqual([
      // /start CODE, the question, Confirm, the question become the answer.
      { direction: 'in', message_type: 'command' },
      { direction: 'out', message_type: 'sendMessage' },
      { direction: 'in', message_type: 'callback_query' },
      { direction: 'out', message_type: 'editMessageText' },
      { direction: 'in', message_type: 'command' },
      { direction: 'out', message_type: 'sendMessage' },
      { direction: 'in', message_type: 'command' },
      { direction: 'out', message_type: 'sendMessage' },
      { direction: 'in', message_type: 'command' },
      { direction: 'out', message_type: 'sendMessage' },
      { direction: 'in', message_type: 'text' },
      { direction: 'out', message_type: 'sendMessage' },
    ]);
  });
});

async function webOutboxPending(app: NestFastifyApplication): Promise<number> {
  const rows: Array<{ count: number }> = await webDatabase(app).query(
    'SELECT count(*)::int AS count FROM outbox',
  );
  return rows[0]?.count ?? 0;
}
