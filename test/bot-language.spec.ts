import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { User } from 'grammy/types';
import request from 'supertest';
import { AppContext } from '../src/common/app-context.js';
import { textsIn } from '../src/bot/texts.js';
import { RatesService } from '../src/web/index.js';
import {
  deliver,
  linkedUser,
  waitForMessages,
  waitUntilIdle,
  botDeployment,
  type BotDeployment,
} from './support/bot.js';
import { FakeTelegram } from './support/fake-telegram.js';
import { cookieFor } from './support/users.js';

const en = textsIn('en');
const ru = textsIn('ru');

describe('the bot speaks the user’s language', () => {
  let telegram: FakeTelegram;
  let app: NestFastifyApplication;
  const http = () => request(app.getHttpServer());

  let deployment: BotDeployment;

  beforeAll(async () => {
    deployment = await botDeployment('language');
    ({ telegram, app } = deployment);
    await app.get(RatesService).setRate('USD', 'EUR', '0.92');
  });
  afterAll(async () => {
    await deployment.close();
  });

  function speaker(languageCode: string): User {
    return telegram.createUser({
      id: 1_000_000 + Math.floor(Math.random() * 1e9),
      language_code: languageCode,
    });
  }

  async function ask(user: User, name: string, args?: string): Promise<string> {
    const before = telegram.sentTo(user.id).length;
    await deliver(telegram, telegram.command(user, name, args));
    return (await waitForMessages(telegram, user, before + 1)).text;
  }

  async function chooseLanguage(webToken: string, language: string): Promise<void> {
    await http()
      .patch('/web/profile')
      .set('Cookie', cookieFor(AppContext.Web, webToken))
      .send({ language })
      .expect(200);
  }

  it('answers an unlinked user in their Telegram language when it speaks it, else in English, each from its own cached help', async () => {
    expect(ru.help).not.toBe(en.help);
    expect(await ask(speaker('ru'), 'help')).toBe(ru.help);
    // The help text is cached per language: the Russian entry is not the English one.
    expect(await ask(speaker('en'), 'help')).toBe(en.help);
    expect(await ask(speaker('de'), 'help')).toBe(en.help);
    expect(await ask(speaker('ru'), 'rates', 'USD EUR')).toBe(ru.notLinked);
  });

  it('answers a linked user in their profile’s language over Telegram’s, and notifies them in it', async () => {
    const { webToken, telegramUser } = await linkedUser(app, telegram, speaker('en'));
    await chooseLanguage(webToken, 'ru');
    expect(await ask(telegramUser, 'rates', 'USD EUR')).toBe(
      ru.rates([{ from: 'USD', to: 'EUR', rate: '0.92000000' }]),
    );

    const web = cookieFor(AppContext.Web, webToken);
    const order = await http()
      .post('/web/orders')
      .set('Cookie', web)
      .send({ fromCurrency: 'USD', toCurrency: 'EUR', amount: '10' })
      .expect(201);
    const before = telegram.sentTo(telegramUser.id).length;
    await http()
      .post(`/web/orders/${order.body.id as string}/cancel`)
      .set('Cookie', web)
      .expect(200);
    const notification = await waitForMessages(telegram, telegramUser, before + 1);
    expect(notification.text).toBe(
      ru.status({
        orderId: order.body.id as string,
        userId: order.body.userId as string,
        status: 'cancelled',
        fromCurrency: 'USD',
        toCurrency: 'EUR',
        amount: order.body.amount as string,
        counterAmount: order.body.counterAmount as string,
        changedAt: new Date().toISOString(),
      } as Parameters<typeof ru.status>[0]),
    );

    // The profile wins over Telegram's language either way.
    const russianTelegram = await linkedUser(app, telegram, speaker('ru'));
    await chooseLanguage(russianTelegram.webToken, 'en');
    expect(await ask(russianTelegram.telegramUser, 'help')).toBe(en.help);
    await waitUntilIdle(app);
  });
});
