import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppContext, Database } from '../src/common/app-context.js';
import { textsIn } from '../src/bot/texts.js';
import {
  botDatabase,
  linkedUser,
  seen,
  waitForMessages,
  waitUntilIdle,
  botDeployment,
  type BotDeployment,
} from './support/bot.js';
import { eventually } from './support/eventually.js';
import { FakeTelegram } from './support/fake-telegram.js';
import { cookieFor, PASSWORD } from './support/users.js';

const en = textsIn('en');

describe('the bot: security alerts in the linked chat', () => {
  let telegram: FakeTelegram;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  let deployment: BotDeployment;

  beforeAll(async () => {
    deployment = await botDeployment('alerts_bot', { BOT_SECURITY_ALERTS: 'true' });
    ({ telegram, app } = deployment);
  });
  afterAll(async () => {
    await deployment.close();
  });

  /**
   * Waits until the bot has read every security event of the user that could be an alert
   * (its cursor is past the newest) and has sent all it queued.
   */
  async function alertsDone(userId: string): Promise<void> {
    const [newest]: Array<{ id: string }> = await app
      .get<DataSource>(getDataSourceToken(Database.Identity))
      .query(
        `SELECT max(id)::text AS id FROM security_events
         WHERE user_id = $1 AND event_type IN ('login.succeeded', 'telegram.linked')`,
        [userId],
      );
    await eventually(async () => {
      const [cursor]: Array<{ id: string | null }> = await botDatabase(app).query(
        `SELECT value ->> 'eventId' AS id FROM bot_state WHERE key = 'alerts_cursor'`,
      );
      return cursor?.id != null && BigInt(cursor.id) >= BigInt(newest?.id ?? '0');
    }, 30_000);
    await waitUntilIdle(app);
  }

  /** A sign-in from a device the user never used. */
  async function signInFromNewDevice(email: string): Promise<void> {
    await http()
      .post('/web/auth/login')
      .set('User-Agent', `Phone/${Math.random()}`)
      .send({ email, password: PASSWORD })
      .expect(200);
  }

  it('tells the chat of its own link and of a sign-in from a new device, each once', async () => {
    const { web, telegramUser } = await linkedUser(app, telegram);
    const linked = await waitForMessages(telegram, telegramUser, 2, 30_000);
    expect(linked.text).toMatch(/^Security alert \(.+ UTC\): this Telegram account was linked/);
    await signInFromNewDevice(web.email);
    const changed = await waitForMessages(telegram, telegramUser, 3, 30_000);
    expect(changed.text).toMatch(
      /^Security alert \(.+ UTC\): your account was signed into from a new device or address\./,
    );
    // Nothing more: each event alerts once.
    await alertsDone(web.id);
    expect(seen(telegram, telegramUser)).toEqual([en.linked, linked.text, changed.text]);
  }, 60_000);

  it('sends nothing to a user who turned Telegram alerts off', async () => {
    const { web, webToken, telegramUser } = await linkedUser(app, telegram);
    await http()
      .patch('/web/profile')
      .set('Cookie', cookieFor(AppContext.Web, webToken))
      .send({ alerts: { telegram: false } })
      .expect(200);
    await signInFromNewDevice(web.email);
    await alertsDone(web.id);
    expect(seen(telegram, telegramUser)).toEqual([en.linked]);
  }, 60_000);
});
