import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import { Api } from 'grammy';
import type { Message, Update, User } from 'grammy/types';
import { randomInt } from 'node:crypto';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { replyLanguage, textsIn } from '../../src/bot/texts.js';
import { AppContext, Database } from '../../src/common/app-context.js';
import { eventually } from './eventually.js';
import { FakeTelegram } from './fake-telegram.js';
import { startTestApp } from './test-app.js';
import { ownDatabases, type OwnDatabases } from './own-databases.js';
import { cookieFor, logIn, registerUser, type TestUser } from './users.js';

export const TEST_WEBHOOK_SECRET = 'test-webhook-secret-0123456789-abcdefghijkl';

/** The environment of an application whose bot talks to the fake, quickly paced for tests. */
export function botEnv(
  telegram: FakeTelegram,
  databases: OwnDatabases,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    ...databases.env,
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    BOT_POLL_INTERVAL_MS: '100',
    BOT_CHAT_SEND_INTERVAL_MS: '20',
    SUPPORTED_CURRENCIES: 'USD,EUR,GBP',
    ...overrides,
  };
}

/** The real application with the bot on, listening, its webhook registered with the fake. */
export async function startBotApp(
  telegram: FakeTelegram,
  databases: OwnDatabases,
  overrides: Record<string, string> = {},
): Promise<NestFastifyApplication> {
  const app = await startTestApp(botEnv(telegram, databases, overrides));
  await app.listen({ port: 0, host: '127.0.0.1' });
  if ((overrides.BOT_MODE ?? 'webhook') === 'webhook') await pointWebhookAt(telegram, app);
  return app;
}

/** A deployment of its own with the bot on: a fake Bot API, databases, the application. */
export interface BotDeployment {
  readonly telegram: FakeTelegram;
  readonly databases: OwnDatabases;
  readonly app: NestFastifyApplication;
  close(): Promise<void>;
}

export async function botDeployment(
  label: string,
  overrides: Record<string, string> = {},
): Promise<BotDeployment> {
  const telegram = await new FakeTelegram().start();
  const databases = await ownDatabases(label);
  const app = await startBotApp(telegram, databases, overrides);
  return {
    telegram,
    databases,
    app,
    async close() {
      await app.close();
      await telegram.stop();
      await databases.drop();
    },
  };
}

/** Where Telegram posts updates (an application here, or a process's port), as the operator registers it (or TELEGRAM_WEBHOOK_URL at start). */
export async function pointWebhookAt(
  telegram: FakeTelegram,
  target: NestFastifyApplication | number,
): Promise<void> {
  const port =
    typeof target === 'number'
      ? target
      : (target.getHttpServer().address() as { port: number }).port;
  await new Api(telegram.token, { apiRoot: telegram.apiRoot }).setWebhook(
    `http://127.0.0.1:${port}/bot/telegram/webhook`,
    { secret_token: TEST_WEBHOOK_SECRET },
  );
}

/** A Telegram user with an id no other test file uses (they share Redis and identity). */
export function telegramUser(telegram: FakeTelegram): User {
  return telegram.createUser({ id: randomInt(1_000_000_000, 2 ** 40) });
}

/** The bot's database, for assertions. */
export function botDatabase(app: NestFastifyApplication): DataSource {
  return app.get<DataSource>(getDataSourceToken(Database.Bot));
}

export function webDatabase(app: NestFastifyApplication): DataSource {
  return app.get<DataSource>(getDataSourceToken(Database.Web));
}

/** The texts the user sees from the bot, in order (edits applied). */
export function seen(telegram: FakeTelegram, user: User): string[] {
  return telegram.sentTo(user.id).map((message) => message.text);
}

/** Waits until the user has seen `count` messages from the bot; returns the last. */
export async function waitForMessages(
  telegram: FakeTelegram,
  user: User,
  count: number,
  timeoutMs = 15_000,
): Promise<Message.TextMessage> {
  await eventually(() => Promise.resolve(telegram.sentTo(user.id).length >= count), timeoutMs);
  return telegram.sentTo(user.id)[count - 1] as Message.TextMessage;
}

/** Waits until every stored update is handled and every queued call settled. */
export async function waitUntilIdle(
  app: NestFastifyApplication,
  timeoutMs = 15_000,
): Promise<void> {
  const bot = botDatabase(app);
  await eventually(async () => {
    const rows: Array<{ pending: number }> = await bot.query(
      `SELECT (SELECT count(*) FROM telegram_updates WHERE processed_at IS NULL)
            + (SELECT count(*) FROM outgoing_messages WHERE outcome IS NULL) AS pending`,
    );
    return Number(rows[0]?.pending) === 0;
  }, timeoutMs);
}

/** Delivers an update as Telegram does, and expects the webhook to take it. */
export async function deliver(telegram: FakeTelegram, update: Update): Promise<void> {
  const delivery = await telegram.deliverWebhook(update);
  if (delivery.status !== 200)
    throw new Error(`the webhook answered ${delivery.status}: ${delivery.body}`);
}

/** The bot's question after `/start CODE` and the data of its buttons (Confirm, Cancel). */
export interface LinkQuestion {
  readonly message: Message.TextMessage;
  readonly confirm: string | undefined;
  readonly cancel: string | undefined;
}

/** Sends `/start CODE`; returns the bot's answer (a question with buttons, or a refusal). */
export async function startLink(
  telegram: FakeTelegram,
  user: User,
  code: string,
): Promise<LinkQuestion> {
  const before = telegram.sentTo(user.id).length;
  await deliver(telegram, telegram.command(user, 'start', code));
  const message = await waitForMessages(telegram, user, before + 1);
  const [confirm, cancel] = (message.reply_markup?.inline_keyboard[0] ?? []).map(
    (button) => (button as { callback_data?: string }).callback_data,
  );
  return { message, confirm, cancel };
}

/** `from` presses a button of the bot's question; returns the question's text once it changed. */
export async function pressLinkButton(
  telegram: FakeTelegram,
  from: User,
  question: Message.TextMessage,
  data: string,
): Promise<string> {
  const current = () =>
    telegram.sentTo(question.chat.id).find((sent) => sent.message_id === question.message_id);
  await deliver(telegram, telegram.callbackQuery(from, question, data));
  await eventually(() => Promise.resolve(current()?.text !== question.text));
  return current()?.text ?? '';
}

/** `/start CODE`, then Confirm; returns what the bot says in the end (linked, or why not). */
export async function linkWith(telegram: FakeTelegram, user: User, code: string): Promise<string> {
  const question = await startLink(telegram, user, code);
  if (question.confirm === undefined) return question.message.text;
  return pressLinkButton(telegram, user, question.message, question.confirm);
}

/** A web user who linked `user`'s Telegram account with /start CODE and Confirm; returns both. */
export async function linkedUser(
  app: NestFastifyApplication,
  telegram: FakeTelegram,
  user: User = telegramUser(telegram),
): Promise<{ web: TestUser; webToken: string; telegramUser: User }> {
  const web = await registerUser(app);
  const webToken = await logIn(app, AppContext.Web, web);
  const said = await linkWith(telegram, user, await linkCode(app, webToken));
  const expected = textsIn(replyLanguage(null, user.language_code)).linked;
  if (said !== expected) throw new Error(`the link failed: ${said}`);
  return { web, webToken, telegramUser: user };
}

export async function linkCode(app: NestFastifyApplication, webToken: string): Promise<string> {
  const issued = await request(app.getHttpServer())
    .post('/web/auth/telegram/link-code')
    .set('Cookie', cookieFor(AppContext.Web, webToken))
    .expect(201);
  return issued.body.code as string;
}
