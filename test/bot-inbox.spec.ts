import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fc from 'fast-check';
import { Api } from 'grammy';
import type { Update, User } from 'grammy/types';
import pg from 'pg';
import request from 'supertest';
import { Texts } from '../src/bot/texts.js';
import { UpdateInbox } from '../src/bot/receive/update-inbox.js';
import { receivedUpdate } from '../src/bot/understand/update-shape.js';
import { RatesService } from '../src/web/index.js';
import {
  botDatabase,
  botEnv,
  deliver,
  linkedUser,
  pointWebhookAt,
  seen,
  startBotApp,
  TEST_WEBHOOK_SECRET,
  telegramUser,
  waitForMessages,
  waitUntilIdle,
} from './support/bot.js';
import { ownDatabases, type OwnDatabases } from './support/own-databases.js';
import { eventually } from './support/eventually.js';
import { FakeTelegram } from './support/fake-telegram.js';
import { startTestApp } from './support/test-app.js';

const WEBHOOK = '/bot/telegram/webhook';

/** Receiving updates: the webhook, the inbox and its exactly-once handling. */
describe('the bot: receiving updates', () => {
  let telegram: FakeTelegram;
  let databases: OwnDatabases;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    telegram = await new FakeTelegram().start();
    databases = await ownDatabases('inbox');
    app = await startBotApp(telegram, databases);
    await app.get(RatesService).setRate('USD', 'EUR', '0.92');
  });
  afterAll(async () => {
    await app.close();
    await telegram.stop();
    await databases.drop();
  });

  const stored = async (updateId: number): Promise<number> => {
    const rows: Array<{ count: number }> = await botDatabase(app).query(
      'SELECT count(*)::int AS count FROM telegram_updates WHERE update_id = $1',
      [updateId],
    );
    return rows[0]?.count ?? 0;
  };

  it.each([
    ['no secret', undefined],
    ['a wrong secret', 'wrong-secret-wrong-secret-wrong-secret'],
    ['the secret with one character changed', `${TEST_WEBHOOK_SECRET.slice(0, -1)}X`],
  ])('answers 401 to an update with %s, and stores nothing', async (_case, secret) => {
    const update = telegram.command(telegramUser(telegram), 'help');
    const call = http().post(WEBHOOK);
    const response = await (
      secret === undefined ? call : call.set('x-telegram-bot-api-secret-token', secret)
    )
      .send(update)
      .expect(401);
    expect(response.body).toEqual(
      expect.objectContaining({ statusCode: 401, error: 'Unauthorized' }),
    );
    expect(await stored(update.update_id)).toBe(0);
  });

  it.each([
    ['an array', [1, 2]],
    ['no update_id', { message: { text: 'hi' } }],
    ['a negative update_id', { update_id: -1 }],
    ['a fractional update_id', { update_id: 1.5 }],
    ['an update_id beyond 32 bits', { update_id: 2 ** 40 }],
    ['a string update_id', { update_id: '12' }],
    ['absurd nesting', { update_id: 5, message: JSON.parse(`${'['.repeat(40)}${']'.repeat(40)}`) }],
  ])('refuses %s with 400', async (_case, body) => {
    await http()
      .post(WEBHOOK)
      .set('x-telegram-bot-api-secret-token', TEST_WEBHOOK_SECRET)
      .send(body as object)
      .expect(400);
  });

  it('handles an update once, however often Telegram delivers it', async () => {
    const user = telegramUser(telegram);
    const update = telegram.command(user, 'help');
    // Concurrent deliveries (Telegram's retry racing the first), then a late repeat.
    const statuses = await Promise.all(
      Array.from({ length: 5 }, () =>
        http()
          .post(WEBHOOK)
          .set('x-telegram-bot-api-secret-token', TEST_WEBHOOK_SECRET)
          .send(update)
          .then((response) => response.status),
      ),
    );
    expect(statuses).toEqual([200, 200, 200, 200, 200]);
    await waitUntilIdle(app);
    await deliver(telegram, update);
    await waitUntilIdle(app);
    expect(seen(telegram, user)).toEqual([Texts.help]);
    const inbound: Array<{ count: number }> = await botDatabase(app).query(
      `SELECT count(*)::int AS count FROM messages WHERE update_id = $1`,
      [update.update_id],
    );
    expect(inbound[0]?.count).toBe(1);
  });

  it('answers at once and handles later: a slow handling never holds Telegram’s request', async () => {
    const user = telegramUser(telegram);
    telegram.failNext('sendMessage', { kind: 'delay', ms: 2_000 });
    const started = Date.now();
    await deliver(telegram, telegram.command(user, 'help'));
    expect(Date.now() - started).toBeLessThan(1_000);
    await waitForMessages(telegram, user, 1);
  });

  it('stores and ignores updates it does not handle: other kinds, group chats, bots', async () => {
    const user = telegramUser(telegram);
    const base = telegram.textMessage(user, 'hello') as Update & { message: object };
    const group = {
      update_id: base.update_id + 100_000,
      message: { ...base.message, chat: { id: -100123, type: 'supergroup', title: 'g' } },
    };
    const edited = { update_id: base.update_id + 100_001, edited_message: base.message };
    const fromBot = {
      update_id: base.update_id + 100_002,
      message: { ...base.message, from: { ...user, is_bot: true } },
    };
    for (const update of [group, edited, fromBot]) {
      await http()
        .post(WEBHOOK)
        .set('x-telegram-bot-api-secret-token', TEST_WEBHOOK_SECRET)
        .send(update)
        .expect(200);
    }
    await waitUntilIdle(app);
    const rows: Array<{ outcome: string }> = await botDatabase(app).query(
      'SELECT outcome FROM telegram_updates WHERE update_id = ANY($1) ORDER BY update_id',
      [[group.update_id, edited.update_id, fromBot.update_id]],
    );
    expect(rows.map((row) => row.outcome)).toEqual(['ignored', 'ignored', 'ignored']);
    expect(telegram.sentTo(user.id)).toEqual([]);
  });

  it('answers fuzzed hostile updates without a 5xx, and stores nothing half', async () => {
    const linked = await linkedUser(app, telegram);
    const users = [linked.telegramUser, telegramUser(telegram)];
    const text = fc.oneof(
      fc.constantFrom(
        '/start',
        '/start AAAAAAAAAAAAAAAAAAAAAA',
        '/order',
        '/order USD EUR 1',
        '/order USD EUR 99999999999',
        '/cancel',
        '/cancel 00000000-0000-0000-0000-000000000000',
        '/rates USD EUR',
        '/notify on',
        'USD EUR',
        '1.5',
        '\u0000',
        '\ud800',
        "'; DROP TABLE messages; --",
      ),
      fc.string({ maxLength: 300 }),
    );
    const field = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom(null, -1, Number.MAX_VALUE, '\u0000', '__proto__', { id: 'x' }),
    );
    let nextId = 1_500_000_000;
    const update = fc
      .record({
        user: fc.constantFrom(...users),
        text,
        shape: fc.constantFrom('command', 'text', 'callback', 'mangled', 'junk'),
        junk: fc.dictionary(fc.string({ maxLength: 12 }), field, { maxKeys: 4 }),
      })
      .map(({ user, text, shape, junk }) => {
        nextId += 1;
        const message = {
          message_id: nextId,
          from: user,
          chat: { id: user.id, type: 'private', first_name: user.first_name },
          date: Math.floor(Date.now() / 1000),
          text,
          ...(shape === 'command'
            ? { entities: [{ type: 'bot_command', offset: 0, length: 4 }] }
            : {}),
        };
        switch (shape) {
          case 'callback':
            return {
              update_id: nextId,
              callback_query: {
                id: String(nextId),
                from: user,
                chat_instance: '1',
                data: text,
                message,
              },
            };
          case 'mangled':
            return { update_id: nextId, message: { ...message, ...junk } };
          case 'junk':
            return { ...junk, update_id: nextId };
          default:
            return { update_id: nextId, message };
        }
      });
    const fastify = app.getHttpAdapter().getInstance();
    let serverErrors = 0;
    const accepted: number[] = [];
    await fc.assert(
      fc.asyncProperty(update, async (body) => {
        const response = await fastify.inject({
          method: 'POST',
          url: WEBHOOK,
          headers: {
            'content-type': 'application/json',
            'x-telegram-bot-api-secret-token': TEST_WEBHOOK_SECRET,
          },
          payload: JSON.stringify(body),
        });
        if (response.statusCode >= 500) serverErrors++;
        if (response.statusCode === 200) accepted.push(body.update_id);
        expect(response.statusCode).toBeLessThan(500);
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300), seed: 20_261_127 },
    );
    await waitUntilIdle(app, 60_000);
    console.info(`hostile updates: ${accepted.length} accepted, ${serverErrors} answered 5xx`);
    // Every accepted update ended: handled (with its one inbound record) or ignored (none).
    const outcomes: Array<{ outcome: string; inbound: number }> = await botDatabase(app).query(
      `SELECT u.outcome, (SELECT count(*)::int FROM messages m WHERE m.update_id = u.update_id) AS inbound
       FROM telegram_updates u WHERE u.update_id = ANY($1)`,
      [accepted],
    );
    expect(outcomes).toHaveLength(accepted.length);
    for (const { outcome, inbound } of outcomes) {
      expect(['handled', 'ignored']).toContain(outcome);
      expect(inbound).toBe(outcome === 'handled' ? 1 : 0);
    }
    expect(outcomes.some((row) => row.outcome === 'handled')).toBe(true);
    expect(serverErrors).toBe(0);
  }, 120_000);

  it('purges handled updates after a week, and never one still waiting', async () => {
    const user = telegramUser(telegram);
    const handled = telegram.command(user, 'help');
    await deliver(telegram, handled);
    await waitUntilIdle(app);
    const waiting = telegram.textMessage(user, 'later');
    await botDatabase(app).query(
      `INSERT INTO telegram_updates (update_id, sender_id, payload, available_at, received_at)
       VALUES ($1, $2, $3, now() + interval '1 hour', now() - interval '8 days')`,
      [waiting.update_id, user.id, waiting],
    );
    await botDatabase(app).query(
      `UPDATE telegram_updates SET processed_at = now() - interval '8 days' WHERE update_id = $1`,
      [handled.update_id],
    );
    expect(await app.get(UpdateInbox).purge()).toBe(1);
    const left: Array<{ update_id: string }> = await botDatabase(app).query(
      'SELECT update_id FROM telegram_updates WHERE update_id = ANY($1)',
      [[handled.update_id, waiting.update_id]],
    );
    expect(left.map((row) => Number(row.update_id))).toEqual([waiting.update_id]);
    await botDatabase(app).query('DELETE FROM telegram_updates WHERE update_id = $1', [
      waiting.update_id,
    ]);
  });

  // Last: passport keeps one strategy per name for the whole process, so logging in on the
  // first application after a second one started and stopped fails (not the bot's doing).
  it('handles an update once when two processes receive it', async () => {
    const second = await startBotApp(telegram, databases);
    try {
      const user = telegramUser(telegram);
      const updates = Array.from({ length: 10 }, (_, index) =>
        telegram.textMessage(user, `message ${index}`),
      );
      await Promise.all(
        updates.flatMap((update) =>
          [app, second].map((target) =>
            request(target.getHttpServer())
              .post(WEBHOOK)
              .set('x-telegram-bot-api-secret-token', TEST_WEBHOOK_SECRET)
              .send(update)
              .expect(200),
          ),
        ),
      );
      await waitUntilIdle(app);
      expect(seen(telegram, user)).toEqual(updates.map(() => Texts.help));
    } finally {
      await second.close();
      await pointWebhookAt(telegram, app);
    }
  });
});

describe('the bot: modes and start-up', () => {
  let telegram: FakeTelegram;
  let databases: OwnDatabases;

  beforeAll(async () => {
    telegram = await new FakeTelegram().start();
    databases = await ownDatabases('modes');
  });
  afterAll(async () => {
    await telegram.stop();
    await databases.drop();
  });

  it('is off without TELEGRAM_BOT_TOKEN: the webhook answers 503, everything else runs', async () => {
    const app = await startTestApp({ ...databases.env });
    try {
      await request(app.getHttpServer())
        .post(WEBHOOK)
        .set('x-telegram-bot-api-secret-token', TEST_WEBHOOK_SECRET)
        .send({ update_id: 1 })
        .expect(503);
      await request(app.getHttpServer()).get('/web/rates').expect(200);
      expect(telegram.calls).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('registers TELEGRAM_WEBHOOK_URL with its secret at start, and keeps what it set in bot_state', async () => {
    const url = 'https://bot.example.test/bot/telegram/webhook';
    const app = await startTestApp(botEnv(telegram, databases, { TELEGRAM_WEBHOOK_URL: url }));
    try {
      await waitFor(() => telegram.webhookUrl === url);
      const [call] = telegram.callsTo('setWebhook').slice(-1);
      expect(call?.params).toMatchObject({ url, secret_token: TEST_WEBHOOK_SECRET });
      await waitFor(async () => (await stateOf(app, 'webhook'))?.url === url);
    } finally {
      await app.close();
      await new Api(telegram.token, { apiRoot: telegram.apiRoot }).deleteWebhook();
    }
  });

  it('polls in polling mode: updates land in the same inbox, the offset in bot_state', async () => {
    const app = await startBotApp(telegram, databases, { BOT_MODE: 'polling' });
    const user = telegramUser(telegram);
    try {
      telegram.enqueue(telegram.command(user, 'help'), telegram.textMessage(user, 'hi'));
      await waitForMessages(telegram, user, 2);
      expect(seen(telegram, user)).toEqual([Texts.help, Texts.help]);
      await waitFor(() => telegram.pendingUpdateCount === 0);
    } finally {
      await app.close();
    }
    const offset = (await stateOf(app, 'polling_offset', databases)) as { offset: number };
    // A restart continues after what it stored: nothing twice.
    const again = await startBotApp(telegram, databases, { BOT_MODE: 'polling' });
    try {
      telegram.enqueue(telegram.textMessage(user, 'once more'));
      await waitForMessages(telegram, user, 3);
      // Everything Telegram had is confirmed and handled: had the restart taken an old update
      // again, its answer would be among the user's messages by now.
      await waitFor(() => telegram.pendingUpdateCount === 0);
      await waitUntilIdle(again);
      expect(seen(telegram, user)).toHaveLength(3);
      expect(((await stateOf(again, 'polling_offset')) as { offset: number }).offset).toBe(
        offset.offset + 1,
      );
    } finally {
      await again.close();
    }
  });

  it('starts while Telegram is down, stores updates, and handles them once it is back', async () => {
    const first = await startBotApp(telegram, databases);
    const user = telegramUser(telegram);
    try {
      await deliver(telegram, telegram.command(user, 'help'));
      await waitForMessages(telegram, user, 1);
    } finally {
      await first.close();
    }
    await telegram.down('refuse');
    const started = Date.now();
    const app = await startTestApp(botEnv(telegram, databases));
    try {
      expect(Date.now() - started).toBeLessThan(10_000);
      // Telegram cannot deliver while down; an update stored now waits for the Bot API.
      await request(app.getHttpServer())
        .post(WEBHOOK)
        .set('x-telegram-bot-api-secret-token', TEST_WEBHOOK_SECRET)
        .send(telegram.command(user, 'help'))
        .expect(200);
      await telegram.up();
      await waitForMessages(telegram, user, 2, 30_000);
    } finally {
      await app.close();
    }
  }, 60_000);

  it('handles a sender’s updates in order and each once, though Telegram delivers them out of order and twice', async () => {
    const linking = await startBotApp(telegram, databases);
    let user: User;
    try {
      await linking.get(RatesService).setRate('USD', 'EUR', '0.92');
      ({ telegramUser: user } = await linkedUser(linking, telegram));
    } finally {
      await linking.close();
    }
    const before = telegram.sentTo(user.id).length;
    const order = telegram.command(user, 'order');
    const pair = telegram.textMessage(user, 'USD EUR');
    const amount = telegram.textMessage(user, '100');
    // One getUpdates answer carries the dialogue's three messages, the last first and two of
    // them twice; they are stored together and four workers are free to take them at once.
    telegram.enqueue(amount, order, pair, amount, order);
    const app = await startBotApp(telegram, databases, {
      BOT_MODE: 'polling',
      BOT_UPDATE_CONCURRENCY: '4',
    });
    try {
      await waitForMessages(telegram, user, before + 3);
      await waitUntilIdle(app);
      expect(seen(telegram, user).slice(before)).toEqual([
        expect.stringMatching(/^Which currencies\?/),
        expect.stringMatching(/^How much USD\?/),
        'Exchange 100.00000000 USD for 92.00000000 EUR at 0.92000000?',
      ]);
      const handled: Array<{ count: number }> = await botDatabase(app).query(
        `SELECT count(*)::int AS count FROM telegram_updates WHERE update_id = ANY($1) AND outcome = 'handled'`,
        [[order, pair, amount].map((update) => update.update_id)],
      );
      expect(handled[0]?.count).toBe(3);
    } finally {
      await app.close();
    }
  });

  it('gives an update up after 8 failed tries, waiting longer each time, and then handles its sender’s next', async () => {
    // The bot is off here: nothing but this test takes updates from the inbox.
    const app = await startTestApp({ ...databases.env });
    const inbox = app.get(UpdateInbox);
    const bot = botDatabase(app);
    const user = telegramUser(telegram);
    const failing = telegram.textMessage(user, 'fails');
    const next = telegram.textMessage(user, 'next');
    try {
      for (const update of [failing, next]) {
        const received = receivedUpdate(update);
        if (typeof received === 'string') throw new Error(received);
        await inbox.store(received);
      }
      const waits: number[] = [];
      for (let attempt = 1; attempt <= 8; attempt++) {
        const handling = await inbox.handleNext((claimed) => {
          // The sender's later update waits behind the failing one.
          expect(claimed).toEqual(
            expect.objectContaining({ updateId: failing.update_id, attempt }),
          );
          throw new Error(`broken handler, try ${attempt}`);
        });
        expect(handling?.outcome).toBe(attempt < 8 ? 'retry' : 'failed');
        const [row]: Array<{ wait_ms: number; attempts: number }> = await bot.query(
          `SELECT extract(epoch FROM available_at - now()) * 1000 AS wait_ms, attempts
           FROM telegram_updates WHERE update_id = $1`,
          [failing.update_id],
        );
        expect(row?.attempts).toBe(attempt);
        if (attempt < 8) {
          waits.push(Number(row?.wait_ms));
          // Due again now, as if the wait had passed.
          await bot.query('UPDATE telegram_updates SET available_at = now() WHERE update_id = $1', [
            failing.update_id,
          ]);
        }
      }
      // 1 s, doubling: 1, 2, 4 … 64 s (less the milliseconds since it was scheduled).
      waits.forEach((wait, index) => {
        expect(wait).toBeGreaterThan(1_000 * 2 ** index - 2_000);
        expect(wait).toBeLessThanOrEqual(1_000 * 2 ** index);
      });
      const [given]: Array<{ outcome: string; last_error: string }> = await bot.query(
        'SELECT outcome, last_error FROM telegram_updates WHERE update_id = $1',
        [failing.update_id],
      );
      expect(given).toEqual({
        outcome: 'failed',
        last_error: expect.stringContaining('broken handler, try 8'),
      });
      const taken = await inbox.handleNext((claimed) => {
        expect(claimed.updateId).toBe(next.update_id);
        return Promise.resolve({ outcome: 'handled' });
      });
      expect(taken?.outcome).toBe('handled');
    } finally {
      await app.close();
    }
  });

  it('keeps a dialogue across a restart (another process continues it)', async () => {
    const one = await startBotApp(telegram, databases);
    await one.get(RatesService).setRate('USD', 'EUR', '0.92');
    const { telegramUser: user } = await linkedUser(one, telegram);
    const before = telegram.sentTo(user.id).length;
    await deliver(telegram, telegram.command(user, 'order'));
    await waitForMessages(telegram, user, before + 1);
    await one.close();
    const two = await startBotApp(telegram, databases);
    try {
      await deliver(telegram, telegram.textMessage(user, 'USD EUR'));
      expect((await waitForMessages(telegram, user, before + 2)).text).toMatch(/^How much USD\?/);
    } finally {
      await two.close();
    }
  });
});

function waitFor(check: () => boolean | Promise<boolean>): Promise<void> {
  return eventually(async () => check());
}

async function stateOf(
  app: NestFastifyApplication,
  key: string,
  databases?: OwnDatabases,
): Promise<Record<string, unknown> | undefined> {
  if (databases !== undefined) {
    const client = new pg.Client({ connectionString: databases.env.DATABASE_BOT_URL });
    await client.connect();
    try {
      const result = await client.query('SELECT value FROM bot_state WHERE key = $1', [key]);
      return result.rows[0]?.value as Record<string, unknown> | undefined;
    } finally {
      await client.end();
    }
  }
  const rows: Array<{ value: Record<string, unknown> }> = await botDatabase(app).query(
    'SELECT value FROM bot_state WHERE key = $1',
    [key],
  );
  return rows[0]?.value;
}
