import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { User } from 'grammy/types';
import request from 'supertest';
import { Texts } from '../src/bot/texts.js';
import { OutgoingQueue } from '../src/bot/send/outgoing-queue.js';
import { AppContext } from '../src/common/app-context.js';
import { RatesService } from '../src/web/index.js';
import {
  botDatabase,
  botEnv,
  deliver,
  linkedUser,
  seen,
  startBotApp,
  TEST_WEBHOOK_SECRET,
  telegramUser,
  waitForMessages,
  waitUntilIdle,
  webDatabase,
  botDeployment,
  type BotDeployment,
} from './support/bot.js';
import { ownDatabases, type OwnDatabases } from './support/own-databases.js';
import { startApiProcess, waitUntilReady } from './support/api-process.js';
import { eventually } from './support/eventually.js';
import { FakeTelegram, type RecordedCall } from './support/fake-telegram.js';
import { startTestApp } from './support/test-app.js';
import { testEnv } from './support/test-env.js';
import { cookieFor } from './support/users.js';

const WEBHOOK = '/bot/telegram/webhook';

/** Delivery through the Bot API: outages, 429, 5xx, blocked users, lost answers, crashes, pace. */
describe('the bot: delivering messages', () => {
  let telegram: FakeTelegram;
  let app: NestFastifyApplication;

  let deployment: BotDeployment;

  beforeAll(async () => {
    deployment = await botDeployment('delivery');
    ({ telegram, app } = deployment);
  });
  afterAll(async () => {
    await deployment.close();
  });

  /** Posts an update to the webhook directly (Telegram cannot deliver while it is down). */
  async function post(update: object): Promise<void> {
    await request(app.getHttpServer())
      .post(WEBHOOK)
      .set('x-telegram-bot-api-secret-token', TEST_WEBHOOK_SECRET)
      .send(update)
      .expect(200);
  }

  const sendsTo = (user: User): RecordedCall[] =>
    telegram.callsTo('sendMessage').filter((call) => Number(call.params.chat_id) === user.id);

  it.each(['refuse', 'bad-gateway'] as const)(
    'handles updates during a Bot API outage (%s) and delivers the replies once it is back',
    async (mode) => {
      const user = telegramUser(telegram);
      await telegram.down(mode);
      await post(telegram.command(user, 'help'));
      await post(telegram.textMessage(user, 'anyone?'));
      // Handled meanwhile: the replies wait in the queue, retried with backoff.
      await eventually(async () => {
        const rows: Array<{ attempts: number }> = await botDatabase(app).query(
          `SELECT attempts FROM outgoing_messages WHERE chat_id = $1 AND outcome IS NULL ORDER BY id`,
          [user.id],
        );
        return rows.length === 2 && (rows[0]?.attempts ?? 0) >= 2;
      });
      expect(seen(telegram, user)).toEqual([]);
      await telegram.up();
      await waitForMessages(telegram, user, 2, 30_000);
      // Each reply once: the failed tries never reached the chat.
      expect(seen(telegram, user)).toEqual([Texts.help, Texts.help]);
    },
    60_000,
  );

  it('waits out a short 429 in place', async () => {
    const user = telegramUser(telegram);
    telegram.failNext('sendMessage', { kind: 'rate-limit', retryAfter: 1 });
    await deliver(telegram, telegram.command(user, 'help'));
    await waitForMessages(telegram, user, 1);
    const [limited, sent] = sendsTo(user);
    expect(limited?.status).toBe(429);
    expect(sent?.status).toBe(200);
    expect((sent?.at ?? 0) - (limited?.at ?? 0)).toBeGreaterThanOrEqual(1_000);
  });

  it('reschedules on a long 429: nothing reaches the chat before retry_after', async () => {
    const user = telegramUser(telegram);
    telegram.failNext('sendMessage', { kind: 'rate-limit', retryAfter: 7 });
    await deliver(telegram, telegram.command(user, 'help'));
    await deliver(telegram, telegram.textMessage(user, 'and this?'));
    await waitForMessages(telegram, user, 2, 20_000);
    const calls = sendsTo(user);
    expect(calls.map((call) => call.status)).toEqual([429, 200, 200]);
    const [limited, first, second] = calls as [RecordedCall, RecordedCall, RecordedCall];
    expect(first.at - limited.at).toBeGreaterThanOrEqual(7_000);
    expect(second.at).toBeGreaterThanOrEqual(first.at);
    await waitUntilIdle(app);
    const rows: Array<{ attempts: number; outcome: string }> = await botDatabase(app).query(
      'SELECT attempts, outcome FROM outgoing_messages WHERE chat_id = $1 ORDER BY id',
      [user.id],
    );
    expect(rows).toEqual([
      { attempts: 2, outcome: 'sent' },
      { attempts: 1, outcome: 'sent' },
    ]);
  }, 30_000);

  it('retries 5xx with backoff', async () => {
    const user = telegramUser(telegram);
    telegram.failNext('sendMessage', { kind: 'server-error', status: 500 }, 2);
    await deliver(telegram, telegram.command(user, 'help'));
    await waitForMessages(telegram, user, 1, 20_000);
    const calls = sendsTo(user);
    expect(calls.map((call) => call.status)).toEqual([500, 500, 200]);
    const [first, second, third] = calls as [RecordedCall, RecordedCall, RecordedCall];
    // 1 s, then 2 s.
    expect(second.at - first.at).toBeGreaterThanOrEqual(900);
    expect(third.at - second.at).toBeGreaterThanOrEqual(1_900);
  }, 30_000);

  it('sends again, silently, when the answer was lost: the user is not alerted twice', async () => {
    const user = telegramUser(telegram);
    telegram.failNext('sendMessage', { kind: 'lose-answer' });
    await deliver(telegram, telegram.command(user, 'help'));
    await waitForMessages(telegram, user, 2, 20_000);
    await waitUntilIdle(app);
    expect(sendsTo(user).map((call) => [call.status, call.params.disable_notification])).toEqual([
      ['answer-lost', undefined],
      [200, true],
    ]);
    const rows: Array<{ outcome: string; in_doubt: boolean }> = await botDatabase(app).query(
      'SELECT outcome, in_doubt FROM outgoing_messages WHERE chat_id = $1',
      [user.id],
    );
    expect(rows).toEqual([{ outcome: 'sent', in_doubt: true }]);
  }, 30_000);

  it('stops on 403: the chat’s pending messages are dropped, notifications stop until the user writes again', async () => {
    const { webToken, telegramUser: user } = await linkedUser(app, telegram);
    const http = () => request(app.getHttpServer());
    await app.get(RatesService).setRate('USD', 'EUR', '0.9');
    const placeAndCancel = async () => {
      const order = await http()
        .post('/web/orders')
        .set('Cookie', cookieFor(AppContext.Web, webToken))
        .send({ fromCurrency: 'USD', toCurrency: 'EUR', amount: '3' })
        .expect(201);
      await http()
        .post(`/web/orders/${order.body.id}/cancel`)
        .set('Cookie', cookieFor(AppContext.Web, webToken))
        .expect(200);
      return order.body.id as string;
    };
    const notifications = (): Promise<Array<{ sent: boolean; outcome: string | null }>> =>
      botDatabase(app).query(
        `SELECT n.sent, n.outcome FROM notifications n WHERE n.telegram_user_id = $1 ORDER BY n.created_at`,
        [user.id],
      );

    telegram.blockChat(user.id);
    await placeAndCancel();
    await eventually(async () => (await notifications()).length === 1);
    await waitUntilIdle(app);
    expect(await notifications()).toEqual([{ sent: false, outcome: 'blocked' }]);
    const [conversation] = await botDatabase(app).query<Array<{ blocked_at: Date | null }>>(
      'SELECT blocked_at FROM conversations WHERE telegram_user_id = $1',
      [user.id],
    );
    expect(conversation?.blocked_at).toBeInstanceOf(Date);

    // While blocked, order events make no notification at all.
    await placeAndCancel();
    await eventually(async () => {
      const rows: Array<{ count: number }> = await webDatabase(app).query(
        'SELECT count(*)::int AS count FROM outbox',
      );
      return rows[0]?.count === 0;
    });
    expect(await notifications()).toHaveLength(1);

    // The user unblocks and writes: notifications resume.
    telegram.unblockChat(user.id);
    const before = telegram.sentTo(user.id).length;
    await deliver(telegram, telegram.command(user, 'help'));
    await waitForMessages(telegram, user, before + 1);
    const third = await placeAndCancel();
    expect((await waitForMessages(telegram, user, before + 2)).text).toContain(third);
    await waitUntilIdle(app);
    expect((await notifications()).map((row) => row.sent)).toEqual([false, true]);
  }, 30_000);
});

describe('the bot: pace', () => {
  let telegram: FakeTelegram;
  let databases: OwnDatabases;
  let app: NestFastifyApplication;

  beforeAll(async () => {
    telegram = await new FakeTelegram().start();
    databases = await ownDatabases('pace');
    // Telegram's own limits, the defaults: 30 messages per second, one per second per chat.
    app = await startBotApp(telegram, databases, {
      BOT_SEND_PER_SECOND: '30',
      BOT_CHAT_SEND_INTERVAL_MS: '1000',
    });
  });
  afterAll(async () => {
    await app.close();
    await telegram.stop();
    await databases.drop();
  });

  it('sends at most 30 messages a second overall and one a second per chat', async () => {
    const users = Array.from({ length: 60 }, () => telegramUser(telegram));
    const chatty = telegramUser(telegram);
    const queue = app.get(OutgoingQueue);
    await botDatabase(app).transaction(async (manager) => {
      for (const user of users)
        await queue.add(manager, {
          method: 'sendMessage',
          chatId: String(user.id),
          payload: { text: 'hi' },
        });
      for (const text of ['one', 'two', 'three'])
        await queue.add(manager, {
          method: 'sendMessage',
          chatId: String(chatty.id),
          payload: { text },
        });
    });
    await waitUntilIdle(app, 30_000);
    const times = telegram
      .callsTo('sendMessage')
      .filter((call) => call.status === 200)
      .map((call) => call.at)
      .sort((a, b) => a - b);
    expect(times).toHaveLength(63);
    // Arrival times carry some jitter: a window slightly under a second.
    const busiest = Math.max(
      ...times.map((start) => times.filter((at) => at >= start && at < start + 950).length),
    );
    expect(busiest).toBeLessThanOrEqual(30);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(1_000);
    expect(seen(telegram, chatty)).toEqual(['one', 'two', 'three']);
    const chattyTimes = telegram
      .callsTo('sendMessage')
      .filter((call) => Number(call.params.chat_id) === chatty.id)
      .map((call) => call.at);
    expect(chattyTimes[1]! - chattyTimes[0]!).toBeGreaterThanOrEqual(900);
    expect(chattyTimes[2]! - chattyTimes[1]!).toBeGreaterThanOrEqual(900);
    console.info(
      `pace: 63 messages in ${times.at(-1)! - times[0]!} ms, busiest second ${busiest}; ` +
        `gaps ${times
          .slice(1)
          .map((at, index) => at - times[index]!)
          .join(' ')}`,
    );
  }, 60_000);
});

describe('the bot: a crash between sending and marking', () => {
  let telegram: FakeTelegram;
  let databases: OwnDatabases;

  beforeAll(async () => {
    telegram = await new FakeTelegram().start();
    databases = await ownDatabases('crash');
  });
  afterAll(async () => {
    await telegram.stop();
    await databases.drop();
  });

  it('sends the message again, silently, once the dead sender’s claim has expired', async () => {
    const user = telegramUser(telegram);
    const api = await startApiProcess({
      ...testEnv(botEnv(telegram, databases)),
      LOG_LEVEL: 'warn',
    });
    try {
      await waitUntilReady(api);
      // Telegram performs the call, and the process dies before the answer arrives.
      telegram.failNext('sendMessage', { kind: 'slow-answer', ms: 30_000 });
      await fetch(`http://127.0.0.1:${api.port}${WEBHOOK}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-telegram-bot-api-secret-token': TEST_WEBHOOK_SECRET,
        },
        body: JSON.stringify(telegram.command(user, 'help')),
      });
      await waitForMessages(telegram, user, 1);
      api.child.kill('SIGKILL');
      await api.exited;
    } finally {
      if (api.child.exitCode === null && api.child.signalCode === null) api.child.kill('SIGKILL');
    }
    const app = await startTestApp(botEnv(telegram, databases));
    try {
      // The dead sender's claim (60 s) runs out.
      await botDatabase(app).query(
        `UPDATE outgoing_messages SET claimed_until = now() - interval '1 second'
         WHERE chat_id = $1 AND outcome IS NULL`,
        [user.id],
      );
      await waitForMessages(telegram, user, 2, 20_000);
      await waitUntilIdle(app);
      const calls = telegram
        .callsTo('sendMessage')
        .filter((call) => Number(call.params.chat_id) === user.id);
      expect(calls.map((call) => call.params.disable_notification)).toEqual([undefined, true]);
      const rows: Array<{ outcome: string; attempts: number; in_doubt: boolean }> =
        await botDatabase(app).query(
          'SELECT outcome, attempts, in_doubt FROM outgoing_messages WHERE chat_id = $1',
          [user.id],
        );
      expect(rows).toEqual([{ outcome: 'sent', attempts: 2, in_doubt: true }]);
    } finally {
      await app.close();
    }
  }, 60_000);
});
