import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { AppContext } from '../src/common/app-context.js';
import { textsIn } from '../src/bot/texts.js';
import { linkedUser, seen, startBotApp, waitForMessages } from './support/bot.js';
import { FakeTelegram } from './support/fake-telegram.js';
import { ownDatabases, type OwnDatabases } from './support/own-databases.js';
import { cookieFor, PASSWORD } from './support/users.js';

const en = textsIn('en');

describe('the bot: security alerts in the linked chat', () => {
  let telegram: FakeTelegram;
  let databases: OwnDatabases;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    telegram = await new FakeTelegram().start();
    databases = await ownDatabases('alerts_bot');
    app = await startBotApp(telegram, databases, { BOT_SECURITY_ALERTS: 'true' });
  });
  afterAll(async () => {
    await app.close();
    await telegram.stop();
    await databases.drop();
  });

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
    await new Promise((resolve) => setTimeout(resolve, 6_000));
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
    // Past the events' settling time and a round of the bot.
    await new Promise((resolve) => setTimeout(resolve, 12_000));
    expect(seen(telegram, telegramUser)).toEqual([en.linked]);
  }, 60_000);
});
