import { UsersService } from '@exchanger/identity';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppContext } from '../src/common/app-context.js';
import { RatesService } from '../src/web/index.js';
import {
  botDatabase,
  deliver,
  linkedUser,
  startBotApp,
  waitForMessages,
  waitUntilIdle,
  webDatabase,
} from './support/bot.js';
import { ownDatabases, type OwnDatabases } from './support/own-databases.js';
import { eventually } from './support/eventually.js';
import { FakeTelegram } from './support/fake-telegram.js';
import { TcpProxy } from './support/tcp-proxy.js';
import { cookieFor } from './support/users.js';

/**
 * Order status changes live in the web database, notifications in the bot database: the
 * web outbox carries them across, at least once, and the bot takes each once.
 */
describe('the bot: order notifications across the two databases', () => {
  let telegram: FakeTelegram;
  let databases: OwnDatabases;
  let botProxy: TcpProxy;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    telegram = await new FakeTelegram().start();
    databases = await ownDatabases('notifications');
    botProxy = await TcpProxy.start(databases.env.DATABASE_BOT_URL as string);
    app = await startBotApp(telegram, databases, {
      DATABASE_BOT_URL: botProxy.url(databases.env.DATABASE_BOT_URL as string),
      DATABASE_CONNECT_TIMEOUT_MS: '1000',
    });
    await app.get(RatesService).setRate('USD', 'EUR', '0.92');
  });
  afterAll(async () => {
    botProxy.restore();
    await app.close();
    await botProxy.stop();
    await telegram.stop();
    await databases.drop();
  });

  async function placeOrder(webToken: string): Promise<string> {
    const order = await http()
      .post('/web/orders')
      .set('Cookie', cookieFor(AppContext.Web, webToken))
      .send({ fromCurrency: 'USD', toCurrency: 'EUR', amount: '7' })
      .expect(201);
    return order.body.id as string;
  }

  const cancel = (webToken: string, orderId: string) =>
    http()
      .post(`/web/orders/${orderId}/cancel`)
      .set('Cookie', cookieFor(AppContext.Web, webToken))
      .expect(200);

  const outbox = async (): Promise<number> => {
    const rows: Array<{ count: number }> = await webDatabase(app).query(
      'SELECT count(*)::int AS count FROM outbox',
    );
    return rows[0]?.count ?? 0;
  };

  const notificationsOf = (
    userId: string,
  ): Promise<Array<{ notification_type: string; sent: boolean }>> =>
    botDatabase(app).query(
      'SELECT notification_type, sent FROM notifications WHERE user_id = $1 ORDER BY created_at',
      [userId],
    );

  it('loses no status change while the bot database is down, and notifies it once it is back', async () => {
    const { web, webToken, telegramUser: user } = await linkedUser(app, telegram);
    const orderId = await placeOrder(webToken);
    const seenBefore = telegram.sentTo(user.id).length;

    botProxy.cut();
    try {
      // The web application does not depend on the bot database: the change commits.
      await cancel(webToken, orderId);
      // The message waits in the web outbox, delivery failing and retried with backoff.
      await eventually(async () => {
        const rows: Array<{ attempts: number }> = await webDatabase(app).query(
          'SELECT attempts FROM outbox',
        );
        return rows.length === 1 && (rows[0]?.attempts ?? 0) >= 1;
      });
      expect(telegram.sentTo(user.id)).toHaveLength(seenBefore);
      // An update cannot be stored meanwhile: 503, and Telegram delivers it again later.
      const update = telegram.command(user, 'help');
      expect((await telegram.deliverWebhook(update)).status).toBe(503);
      expect(telegram.pendingUpdateCount).toBeGreaterThan(0);
    } finally {
      botProxy.restore();
    }
    const notified = await waitForMessages(telegram, user, seenBefore + 1, 45_000);
    expect(notified.text).toBe(`Order ${orderId} (7.00000000 USD → 6.44000000 EUR) is cancelled.`);
    // Telegram's redelivery of the refused update, now taken.
    await deliver(telegram, telegram.command(user, 'help'));
    await waitForMessages(telegram, user, seenBefore + 2);
    await waitUntilIdle(app);
    expect(await outbox()).toBe(0);
    expect(await notificationsOf(web.id)).toEqual([
      { notification_type: 'order.cancelled', sent: true },
    ]);
  }, 60_000);

  it('takes a message delivered twice once (unique on its source message id)', async () => {
    const { web, webToken, telegramUser: user } = await linkedUser(app, telegram);
    const orderId = await placeOrder(webToken);
    await cancel(webToken, orderId);
    await waitForMessages(telegram, user, 2);
    await waitUntilIdle(app);
    const [first] = await botDatabase(app).query<Array<{ source_message_id: string }>>(
      'SELECT source_message_id FROM notifications WHERE user_id = $1',
      [web.id],
    );
    // A relay that died after the bot committed, before the outbox row was deleted, hands
    // the same message (same id) again.
    const [, messageId] = (first?.source_message_id ?? '').split(':');
    await webDatabase(app).query(
      'INSERT INTO outbox (message_id, topic, payload) VALUES ($1, $2, $3)',
      [
        messageId,
        'order.status',
        {
          orderId,
          userId: web.id,
          status: 'cancelled',
          fromCurrency: 'USD',
          toCurrency: 'EUR',
          amount: '7.00000000',
          counterAmount: '6.44000000',
          changedAt: new Date().toISOString(),
        },
      ],
    );
    await eventually(async () => (await outbox()) === 0);
    await waitUntilIdle(app);
    expect(await notificationsOf(web.id)).toEqual([
      { notification_type: 'order.cancelled', sent: true },
    ]);
    expect(telegram.sentTo(user.id).filter((sent) => sent.text.includes(orderId))).toHaveLength(1);
  });

  it('notifies only users who may read orders in the telegram context', async () => {
    const { web, webToken, telegramUser: user } = await linkedUser(app, telegram);
    await app.get(UsersService).revokePermission(web.id, AppContext.Telegram, 'orders:read');
    await cancel(webToken, await placeOrder(webToken));
    await eventually(async () => (await outbox()) === 0);
    await waitUntilIdle(app);
    expect(await notificationsOf(web.id)).toEqual([]);
    expect(telegram.sentTo(user.id)).toHaveLength(1); // the link's confirmation only
  });

  it('notifies nobody once the link has ended', async () => {
    const { web, webToken, telegramUser: user } = await linkedUser(app, telegram);
    await http()
      .delete('/web/auth/telegram')
      .set('Cookie', cookieFor(AppContext.Web, webToken))
      .expect(204);
    await cancel(webToken, await placeOrder(webToken));
    await eventually(async () => (await outbox()) === 0);
    await waitUntilIdle(app);
    expect(await notificationsOf(web.id)).toEqual([]);
    expect(telegram.sentTo(user.id)).toHaveLength(1);
  });
});
