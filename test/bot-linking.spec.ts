import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createClient } from '@redis/client';
import type { Message, User } from 'grammy/types';
import request from 'supertest';
import { Texts } from '../src/bot/texts.js';
import { AppContext } from '../src/common/app-context.js';
import { RatesService } from '../src/web/index.js';
import {
  botDatabase,
  deliver,
  linkCode,
  linkedUser,
  startBotApp,
  telegramUser,
  waitForMessages,
  waitUntilIdle,
} from './support/bot.js';
import { ownDatabases, type OwnDatabases } from './support/own-databases.js';
import { FakeTelegram } from './support/fake-telegram.js';
import { TEST_REDIS_URL } from './support/test-env.js';
import { cookieFor, logIn, registerAdmin, registerUser, type TestUser } from './support/users.js';

const RATE = 'Current rates:\nUSD/EUR: 0.92000000';

/** Who is speaking: linking, the telegram session behind every update, and its end. */
describe('the bot: linking a Telegram account', () => {
  let telegram: FakeTelegram;
  let databases: OwnDatabases;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const redis = createClient({ url: TEST_REDIS_URL });

  beforeAll(async () => {
    await redis.connect();
    telegram = await new FakeTelegram().start();
    databases = await ownDatabases('linking');
    app = await startBotApp(telegram, databases);
    await app.get(RatesService).setRate('USD', 'EUR', '0.92');
  });
  afterAll(async () => {
    await redis.close();
    await app.close();
    await telegram.stop();
    await databases.drop();
  });

  async function ask(user: User, name: string, args?: string): Promise<string> {
    const before = telegram.sentTo(user.id).length;
    await deliver(telegram, telegram.command(user, name, args));
    return (await waitForMessages(telegram, user, before + 1)).text;
  }

  const linkStatus = async (webToken: string) =>
    (
      await http()
        .get('/web/auth/telegram')
        .set('Cookie', cookieFor(AppContext.Web, webToken))
        .expect(200)
    ).body as { linked: boolean; telegramUserId?: string };

  it('lets an unlinked user use /start and /help only', async () => {
    const stranger = telegramUser(telegram);
    expect(await ask(stranger, 'start')).toBe(Texts.welcome);
    expect(await ask(stranger, 'help')).toBe(Texts.help);
    for (const [command, args] of [
      ['rates', undefined],
      ['orders', undefined],
      ['order', 'USD EUR 1'],
      ['notify', 'off'],
      ['unlink', undefined],
    ] as const) {
      expect(await ask(stranger, command, args)).toBe(Texts.notLinked);
    }
    const before = telegram.sentTo(stranger.id).length;
    await deliver(telegram, telegram.textMessage(stranger, 'what is this?'));
    expect((await waitForMessages(telegram, stranger, before + 1)).text).toBe(Texts.help);
    const results: Array<{ command: string; result: string }> = await botDatabase(app).query(
      'SELECT command, result FROM user_commands WHERE telegram_user_id = $1 ORDER BY executed_at',
      [stranger.id],
    );
    expect(results.map((row) => row.result)).toEqual([
      'ok',
      'ok',
      'unlinked',
      'unlinked',
      'unlinked',
      'unlinked',
      'unlinked',
    ]);
  });

  it('refuses a button press from an unlinked user with an alert', async () => {
    const { telegramUser: ann, webToken } = await linkedUser(app, telegram);
    await ask(ann, 'order', 'USD EUR 1');
    const question = telegram.sentTo(ann.id).at(-1) as Message;
    const data = (question.reply_markup?.inline_keyboard[0]?.[0] as { callback_data: string })
      .callback_data;
    await http()
      .delete('/web/auth/telegram')
      .set('Cookie', cookieFor(AppContext.Web, webToken))
      .expect(204);
    await deliver(telegram, telegram.callbackQuery(ann, question, data));
    await waitUntilIdle(app);
    expect(telegram.callbackAnswers.at(-1)).toEqual(
      expect.objectContaining({ text: Texts.notLinked, showAlert: true }),
    );
  });

  it('refuses a code that is malformed, unknown or already used', async () => {
    const someone = telegramUser(telegram);
    expect(await ask(someone, 'start', 'nonsense')).toBe(Texts.badCode);
    expect(await ask(someone, 'start', 'A'.repeat(22))).toBe(Texts.badCode);
    const webToken = await logIn(app, AppContext.Web, await registerUser(app));
    const code = await linkCode(app, webToken);
    expect(await ask(someone, 'start', code)).toBe(Texts.linked);
    expect(await ask(telegramUser(telegram), 'start', code)).toBe(Texts.badCode);
  });

  it.each([
    ['a logout', (web: string) => http().post('/web/auth/logout').set('Cookie', web).expect(204)],
    [
      'a logout everywhere',
      (web: string) => http().post('/web/auth/logout-all').set('Cookie', web).expect(204),
    ],
    [
      'a password change made from another session',
      async (_web: string, user: TestUser) => {
        await http()
          .post('/web/auth/password')
          .set('Cookie', cookieFor(AppContext.Web, await logIn(app, AppContext.Web, user)))
          .send({ currentPassword: user.password, newPassword: 'another password 2' })
          .expect(204);
        user.password = 'another password 2';
      },
    ],
    [
      'staff revoking the user’s sessions',
      async (_web: string, user: TestUser) => {
        const staff = await logIn(app, AppContext.Admin, await registerAdmin(app));
        await http()
          .delete(`/admin/users/${user.id}/sessions`)
          .set('Cookie', cookieFor(AppContext.Admin, staff))
          .expect(204);
      },
    ],
  ])('refuses a code whose issuing web session ended with %s', async (_case, end) => {
    const user = await registerUser(app);
    const webToken = await logIn(app, AppContext.Web, user);
    const code = await linkCode(app, webToken);
    await end(cookieFor(AppContext.Web, webToken), user);
    const someone = telegramUser(telegram);
    expect(await ask(someone, 'start', code)).toBe(Texts.badCode);
    expect(await linkStatus(await logIn(app, AppContext.Web, user))).toEqual({ linked: false });
  });

  it.each([
    [
      'the web user unlinks it (DELETE /web/auth/telegram)',
      async (webToken: string) => {
        await http()
          .delete('/web/auth/telegram')
          .set('Cookie', cookieFor(AppContext.Web, webToken))
          .expect(204);
      },
    ],
    [
      'the password changes',
      async (webToken: string, password: string) => {
        await http()
          .post('/web/auth/password')
          .set('Cookie', cookieFor(AppContext.Web, webToken))
          .send({ currentPassword: password, newPassword: 'a brand new password' })
          .expect(204);
      },
    ],
    [
      'an admin revokes the user’s sessions',
      async (_webToken: string, _password: string, userId: string) => {
        const admin = await logIn(app, AppContext.Admin, await registerAdmin(app));
        await http()
          .delete(`/admin/users/${userId}/sessions`)
          .set('Cookie', cookieFor(AppContext.Admin, admin))
          .expect(204);
      },
    ],
  ])('answers as unlinked on the very next update after %s', async (_case, revoke) => {
    const { web, webToken, telegramUser: user } = await linkedUser(app, telegram);
    // The session is cached by now: the revocation must still win.
    expect(await ask(user, 'rates', 'USD EUR')).toBe(RATE);
    expect(await ask(user, 'rates', 'USD EUR')).toBe(RATE);
    await revoke(webToken, web.password, web.id);
    expect(await ask(user, 'rates', 'USD EUR')).toBe(Texts.notLinked);
  });

  it('unlinks with /unlink: the session ends and the web app sees no link', async () => {
    const { webToken, telegramUser: bob } = await linkedUser(app, telegram);
    expect((await linkStatus(webToken)).linked).toBe(true);
    expect(await ask(bob, 'unlink')).toBe(Texts.unlinked);
    expect(await ask(bob, 'rates', 'USD EUR')).toBe(Texts.notLinked);
    expect(await linkStatus(webToken)).toEqual({ linked: false });
  });

  it('keeps one Telegram account per user: a new account’s link ends the old one’s', async () => {
    const { webToken, telegramUser: first } = await linkedUser(app, telegram);
    const second = telegramUser(telegram);
    expect(await ask(second, 'start', await linkCode(app, webToken))).toBe(Texts.linked);
    expect(await ask(first, 'rates', 'USD EUR')).toBe(Texts.notLinked);
    expect(await ask(second, 'rates', 'USD EUR')).toBe(RATE);
    expect(await linkStatus(webToken)).toEqual(
      expect.objectContaining({ linked: true, telegramUserId: String(second.id) }),
    );
    const linkedRows: Array<{ telegram_user_id: string }> = await botDatabase(app).query(
      'SELECT telegram_user_id FROM conversations WHERE telegram_user_id = ANY($1) AND user_id IS NOT NULL',
      [[first.id, second.id]],
    );
    expect(linkedRows.map((row) => Number(row.telegram_user_id))).toEqual([second.id]);
  });

  it('keeps one user per Telegram account: linking it to another user ends the first user’s link', async () => {
    const { webToken: firstUser, telegramUser: account } = await linkedUser(app, telegram);
    const otherToken = await logIn(app, AppContext.Web, await registerUser(app));
    expect(await ask(account, 'start', await linkCode(app, otherToken))).toBe(Texts.linked);
    expect(await linkStatus(firstUser)).toEqual({ linked: false });
    expect(await linkStatus(otherToken)).toEqual(
      expect.objectContaining({ linked: true, telegramUserId: String(account.id) }),
    );
  });

  it('reads the conversation through cache:telegram:conversations:{id} (24 h), refreshed after each change', async () => {
    const { telegramUser: cid } = await linkedUser(app, telegram);
    const key = `cache:telegram:conversations:${cid.id}`;
    await ask(cid, 'order');
    await waitUntilIdle(app);
    // The dialogue step was written: the entry was invalidated, the next read refills it.
    await new Promise((resolve) => setTimeout(resolve, 3_100));
    await ask(cid, 'help');
    const cached = JSON.parse((await redis.get(key)) ?? '{}') as { state?: string };
    expect(cached.state).toBe('order:pair');
    const ttl = await redis.pTTL(key);
    expect(ttl).toBeGreaterThan(23 * 3_600_000);
    expect(ttl).toBeLessThanOrEqual(24 * 3_600_000);
  });

  it('never takes a dialogue step on a stale cached conversation', async () => {
    const { telegramUser: dee } = await linkedUser(app, telegram);
    const [row] = await botDatabase(app).query<
      Array<{ id: string; user_id: string; session_id: string; version: number }>
    >('SELECT id, user_id, session_id, version FROM conversations WHERE telegram_user_id = $1', [
      dee.id,
    ]);
    // An entry that missed an invalidation: an older version, in the middle of a dialogue.
    await redis.set(
      `cache:telegram:conversations:${dee.id}`,
      JSON.stringify({
        id: row?.id,
        telegramUserId: String(dee.id),
        userId: row?.user_id,
        sessionId: row?.session_id,
        state: 'order:pair',
        context: {},
        notificationsEnabled: true,
        blocked: false,
        version: (row?.version ?? 1) - 1,
      }),
      { expiration: { type: 'PX', value: 60_000 } },
    );
    const before = telegram.sentTo(dee.id).length;
    await deliver(telegram, telegram.textMessage(dee, 'USD EUR'));
    // Handled on the database's state (idle): plain text gets help, not the next step.
    expect((await waitForMessages(telegram, dee, before + 1)).text).toBe(Texts.help);
  });
});
