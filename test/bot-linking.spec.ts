import { LIVE_CODES_PER_USER, SessionPurger } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import { createClient } from '@redis/client';
import type { Message, User } from 'grammy/types';
import { createHash } from 'node:crypto';
import pg from 'pg';
import request from 'supertest';
import type { DataSource } from 'typeorm';
import { Texts } from '../src/bot/texts.js';
import { AppContext, Database } from '../src/common/app-context.js';
import { RatesService } from '../src/web/index.js';
import {
  botDatabase,
  botEnv,
  deliver,
  linkCode,
  linkedUser,
  linkWith,
  pointWebhookAt,
  pressLinkButton,
  startLink,
  telegramUser,
  waitForMessages,
  waitUntilIdle,
  botDeployment,
  type BotDeployment,
} from './support/bot.js';
import { startApiProcess, waitUntilReady } from './support/api-process.js';
import { eventually } from './support/eventually.js';
import { ownDatabases, type OwnDatabases } from './support/own-databases.js';
import { FakeTelegram } from './support/fake-telegram.js';
import { TEST_REDIS_URL, testEnv } from './support/test-env.js';
import {
  cookieFor,
  logIn,
  PASSWORD,
  registerAdmin,
  registerUser,
  sessionCookieOf,
  type TestUser,
  uniqueEmail,
} from './support/users.js';

const RATE = 'Current rates:\nUSD/EUR: 0.92000000';

/** Who is speaking: linking, the telegram session behind every update, and its end. */
describe('the bot: linking a Telegram account', () => {
  let telegram: FakeTelegram;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());
  const redis = createClient({ url: TEST_REDIS_URL });

  let deployment: BotDeployment;

  beforeAll(async () => {
    await redis.connect();
    deployment = await botDeployment('linking');
    ({ telegram, app } = deployment);
    await app.get(RatesService).setRate('USD', 'EUR', '0.92');
  });
  afterAll(async () => {
    await redis.close();
    await deployment.close();
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
    expect(await linkWith(telegram, someone, code)).toBe(Texts.linked);
    expect(await ask(telegramUser(telegram), 'start', code)).toBe(Texts.badCode);
  });

  describe('asks before it links', () => {
    const identity = () => app.get<DataSource>(getDataSourceToken(Database.Identity));

    /** A web user, one of their sessions, and a link code it issued. */
    async function codeOfNewUser() {
      const web = await registerUser(app);
      const webToken = await logIn(app, AppContext.Web, web);
      return { web, webToken, code: await linkCode(app, webToken) };
    }

    /** Presses a button under `message` and waits until the press is answered. */
    async function press(from: User, message: Message, data: string) {
      const answers = telegram.callbackAnswers.length;
      await deliver(telegram, telegram.callbackQuery(from, message, data));
      await waitUntilIdle(app);
      expect(telegram.callbackAnswers.length).toBeGreaterThan(answers);
      return telegram.callbackAnswers.at(-1);
    }

    it('shows the masked email of the code’s account and links only when Confirm is pressed', async () => {
      const { web, webToken, code } = await codeOfNewUser();
      const ann = telegramUser(telegram);
      const question = await startLink(telegram, ann, code);
      const [local = '', domain = ''] = web.email.split('@');
      expect(question.message.text).toBe(Texts.confirmLink(`${local[0]}***@${domain[0]}***.test`));
      expect(question.message.text).not.toContain(local);
      expect(question.message.text).not.toContain(domain);
      expect(question.confirm).toMatch(/^lc:/);
      expect(question.cancel).toMatch(/^lx:/);
      // Asked, not linked.
      expect(await linkStatus(webToken)).toEqual({ linked: false });
      expect(await ask(ann, 'rates', 'USD EUR')).toBe(Texts.notLinked);
      expect(await pressLinkButton(telegram, ann, question.message, question.confirm ?? '')).toBe(
        Texts.linked,
      );
      expect(await linkStatus(webToken)).toEqual(
        expect.objectContaining({ linked: true, telegramUserId: String(ann.id) }),
      );
      expect(await ask(ann, 'rates', 'USD EUR')).toBe(RATE);
    });

    it('links nothing on Cancel, and a later Confirm of that question finds it closed', async () => {
      const { webToken, code } = await codeOfNewUser();
      const ann = telegramUser(telegram);
      const question = await startLink(telegram, ann, code);
      expect(await pressLinkButton(telegram, ann, question.message, question.cancel ?? '')).toBe(
        Texts.linkDropped,
      );
      expect(await press(ann, question.message, question.confirm ?? '')).toEqual(
        expect.objectContaining({ text: Texts.linkExpired, showAlert: true }),
      );
      expect(await linkStatus(webToken)).toEqual({ linked: false });
      expect(await ask(ann, 'rates', 'USD EUR')).toBe(Texts.notLinked);
    });

    it('keeps the code single use: once confirmed, neither another question nor a second press links again', async () => {
      const { webToken, code } = await codeOfNewUser();
      const ann = telegramUser(telegram);
      const bob = telegramUser(telegram);
      // Both are asked before either confirms.
      const annQuestion = await startLink(telegram, ann, code);
      const bobQuestion = await startLink(telegram, bob, code);
      expect(bobQuestion.confirm).toBeDefined();
      expect(
        await pressLinkButton(telegram, ann, annQuestion.message, annQuestion.confirm ?? ''),
      ).toBe(Texts.linked);
      expect(
        await pressLinkButton(telegram, bob, bobQuestion.message, bobQuestion.confirm ?? ''),
      ).toBe(Texts.badCode);
      expect(await press(ann, annQuestion.message, annQuestion.confirm ?? '')).toEqual(
        expect.objectContaining({ text: Texts.linkExpired, showAlert: true }),
      );
      expect(await ask(telegramUser(telegram), 'start', code)).toBe(Texts.badCode);
      expect(await ask(bob, 'rates', 'USD EUR')).toBe(Texts.notLinked);
      expect(await linkStatus(webToken)).toEqual(
        expect.objectContaining({ linked: true, telegramUserId: String(ann.id) }),
      );
    });

    it.each([
      ['a logout', (cookie: string) => http().post('/web/auth/logout').set('Cookie', cookie)],
      [
        'a password change',
        async (cookie: string, user: TestUser) => {
          const changed = await http()
            .post('/web/auth/password')
            .set('Cookie', cookie)
            .send({ currentPassword: user.password, newPassword: 'another password 3' });
          user.password = 'another password 3';
          return changed;
        },
      ],
    ])('refuses Confirm when %s voided the code after /start', async (_case, voidCode) => {
      const { web, webToken, code } = await codeOfNewUser();
      const ann = telegramUser(telegram);
      const question = await startLink(telegram, ann, code);
      expect(question.confirm).toBeDefined();
      expect((await voidCode(cookieFor(AppContext.Web, webToken), web)).status).toBe(204);
      expect(await pressLinkButton(telegram, ann, question.message, question.confirm ?? '')).toBe(
        Texts.badCode,
      );
      expect(await linkStatus(await logIn(app, AppContext.Web, web))).toEqual({ linked: false });
    });

    it('links nothing when another Telegram user presses Confirm', async () => {
      const { webToken, code } = await codeOfNewUser();
      const ann = telegramUser(telegram);
      const mallory = telegramUser(telegram);
      const question = await startLink(telegram, ann, code);
      const data = question.confirm ?? '';
      // Mallory's press under Ann's message (in Ann's chat) ...
      await deliver(telegram, telegram.callbackQuery(mallory, question.message, data));
      await waitUntilIdle(app);
      // ... and the same data pressed in her own chat, under a message the bot sent her.
      await ask(mallory, 'start');
      const hers = telegram.sentTo(mallory.id).at(-1) as Message;
      expect(await press(mallory, hers, data)).toEqual(
        expect.objectContaining({ text: Texts.linkExpired, showAlert: true }),
      );
      expect(await linkStatus(webToken)).toEqual({ linked: false });
      expect(await ask(mallory, 'rates', 'USD EUR')).toBe(Texts.notLinked);
      // Ann's own press still links Ann.
      expect(await pressLinkButton(telegram, ann, question.message, data)).toBe(Texts.linked);
      expect(await linkStatus(webToken)).toEqual(
        expect.objectContaining({ linked: true, telegramUserId: String(ann.id) }),
      );
    });

    it('voids every link code on a password change, those of the changing session too', async () => {
      const { web, webToken, code } = await codeOfNewUser();
      const otherSession = await logIn(app, AppContext.Web, web);
      const otherCode = await linkCode(app, otherSession);
      await http()
        .post('/web/auth/password')
        .set('Cookie', cookieFor(AppContext.Web, webToken))
        .send({ currentPassword: web.password, newPassword: 'another password 4' })
        .expect(204);
      expect(await ask(telegramUser(telegram), 'start', code)).toBe(Texts.badCode);
      expect(await ask(telegramUser(telegram), 'start', otherCode)).toBe(Texts.badCode);
      // The session that changed it lives on: a code it asks for now links.
      expect(await linkWith(telegram, telegramUser(telegram), await linkCode(app, webToken))).toBe(
        Texts.linked,
      );
    });

    it(`keeps at most ${LIVE_CODES_PER_USER} live link codes per user: a new one voids the oldest, whichever session issued it`, async () => {
      const web = await registerUser(app);
      const sessions = [
        await logIn(app, AppContext.Web, web),
        await logIn(app, AppContext.Web, web),
      ];
      const codes: string[] = [];
      for (let issued = 0; issued <= LIVE_CODES_PER_USER; issued += 1)
        codes.push(await linkCode(app, sessions[issued % 2] ?? ''));
      const [oldest = '', ...newest] = codes;
      expect(await ask(telegramUser(telegram), 'start', oldest)).toBe(Texts.badCode);
      for (const code of newest)
        expect((await startLink(telegram, telegramUser(telegram), code)).confirm).toBeDefined();
      const [row] = await identity().query<Array<{ count: number }>>(
        'SELECT count(*)::int AS count FROM link_codes WHERE user_id = $1',
        [web.id],
      );
      expect(row?.count).toBe(LIVE_CODES_PER_USER);
    });

    it('deletes expired link codes with the session purge', async () => {
      const { web, webToken, code: expiring } = await codeOfNewUser();
      const live = await linkCode(app, webToken);
      const sha256 = (code: string) => createHash('sha256').update(code).digest('hex');
      await identity().query(
        `UPDATE link_codes SET expires_at = now() - interval '1 second' WHERE code_hash = $1`,
        [sha256(expiring)],
      );
      await app.get(SessionPurger).purge();
      const rows = await identity().query<Array<{ code_hash: string }>>(
        'SELECT code_hash FROM link_codes WHERE user_id = $1',
        [web.id],
      );
      expect(rows.map((row) => row.code_hash)).toEqual([sha256(live)]);
    });
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
    expect(await linkWith(telegram, second, await linkCode(app, webToken))).toBe(Texts.linked);
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
    expect(await linkWith(telegram, account, await linkCode(app, otherToken))).toBe(Texts.linked);
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

/** A link code is a secret: what the bot keeps and logs of `/start CODE` holds it masked. */
describe('the bot: what is kept of a link code', () => {
  let telegram: FakeTelegram;
  let databases: OwnDatabases;

  beforeAll(async () => {
    telegram = await new FakeTelegram().start();
    databases = await ownDatabases('linking_secrets');
  });
  afterAll(async () => {
    await telegram.stop();
    await databases.drop();
  });

  /** The tables of a database with a row whose text holds `secret`. */
  async function tablesHolding(url: string, secret: string): Promise<string[]> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows: tables } = await client.query<{ name: string }>(
        `SELECT table_name AS name FROM information_schema.tables
         WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`,
      );
      const holding: string[] = [];
      for (const { name } of tables) {
        const table = client.escapeIdentifier(name);
        const { rows } = await client.query(
          `SELECT 1 FROM ${table} t WHERE strpos(t::text, $1) > 0 LIMIT 1`,
          [secret],
        );
        if (rows.length > 0) holding.push(name);
      }
      return holding;
    } finally {
      await client.end();
    }
  }

  it('keeps the code in no table of the bot or identity database and in no log line', async () => {
    const api = await startApiProcess({
      ...testEnv(botEnv(telegram, databases)),
      LOG_LEVEL: 'trace',
    });
    try {
      await waitUntilReady(api);
      await pointWebhookAt(telegram, api.port);
      const base = `http://127.0.0.1:${api.port}`;
      const registered = await fetch(`${base}/web/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: uniqueEmail(), password: PASSWORD }),
      });
      expect(registered.status).toBe(201);
      const webToken = sessionCookieOf(registered.headers.getSetCookie(), AppContext.Web);
      const issued = await fetch(`${base}/web/auth/telegram/link-code`, {
        method: 'POST',
        headers: { cookie: cookieFor(AppContext.Web, webToken) },
      });
      expect(issued.status).toBe(201);
      const { code } = (await issued.json()) as { code: string };
      const ann = telegramUser(telegram);
      expect(await linkWith(telegram, ann, code)).toBe(Texts.linked);
      const bot = new pg.Client({ connectionString: databases.urls[Database.Bot] });
      await bot.connect();
      try {
        await eventually(async () => {
          const { rows } = await bot.query<{ pending: number }>(
            `SELECT (SELECT count(*) FROM telegram_updates WHERE processed_at IS NULL)
                  + (SELECT count(*) FROM outgoing_messages WHERE outcome IS NULL) AS pending`,
          );
          return Number(rows[0]?.pending) === 0;
        });
        // What is kept instead: the command, its argument masked, in each table the bot writes.
        const { rows } = await bot.query<{ update: string; message: string; args: string }>(
          `SELECT u.payload->'message'->>'text' AS update, m.content->>'text' AS message,
             c.parameters->>'args' AS args
           FROM telegram_updates u JOIN messages m USING (update_id) JOIN user_commands c USING (update_id)
           WHERE u.sender_id = $1 AND c.command = 'start'`,
          [ann.id],
        );
        expect(rows).toEqual([{ update: '/start ****', message: '/start ****', args: '****' }]);
      } finally {
        await bot.end();
      }
      expect(await tablesHolding(databases.urls[Database.Bot], code)).toEqual([]);
      expect(await tablesHolding(databases.urls[Database.Identity], code)).toEqual([]);
      // The process logged at its most verbose, and none of it holds the code.
      expect(api.stdout()).toContain('request completed');
      expect(api.stdout()).not.toContain(code);
      expect(api.stderr()).not.toContain(code);
    } finally {
      api.child.kill('SIGTERM');
      await api.exited;
    }
  });
});
