import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import fc from 'fast-check';
import { AppContext } from '../src/common/app-context.js';
import { RatesService } from '../src/web/index.js';
import { routesOf } from './support/route-table.js';
import { botEnv, TEST_WEBHOOK_SECRET } from './support/bot.js';
import { ownDatabases, type OwnDatabases } from './support/own-databases.js';
import { FakeTelegram } from './support/fake-telegram.js';
import { startTestApp } from './support/test-app.js';
import { providerHeaders } from './support/provider.js';
import { linkTelegram, logIn, registerAdmin, registerUser } from './support/users.js';

/**
 * Generated hostile requests against every route: the figure is how many were tried,
 * and how many produced a 5xx or leaked another user's data (both must be 0).
 * `npm run fuzz` runs the same properties much longer (FUZZ_RUNS, FUZZ_SEED).
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_122);

const HOSTILE = [
  '../../etc/passwd',
  '..%2F..%2Fadmin',
  "' OR '1'='1' --",
  '"; DROP TABLE users; --',
  '{"$ne": null}',
  '{"$gt": ""}',
  '<script>alert(1)</script>',
  '\u0000',
  '\u202e\u0000\u0007\r\n',
  '\ud83d\ude00'.repeat(50),
  'A'.repeat(10_000),
  '%',
  '%zz',
  '-1',
  '1e309',
  'NaN',
  'null',
  '__proto__',
  'constructor',
  '00000000-0000-0000-0000-000000000000',
];

/** Headers to send, or (the payment provider's signature) headers made for the body sent. */
type Credential = Record<string, string> | ((body: string) => Record<string, string>);
const signedByProvider: Credential = (body) => providerHeaders(body);

const FIELDS = [
  'email',
  'password',
  'currentPassword',
  'newPassword',
  'fromCurrency',
  'toCurrency',
  'amount',
  'paymentMethod',
  'status',
  'role',
  'telegramUserId',
  'code',
  'expectedRate',
  'paymentId',
  'orderId',
  'currency',
  'reference',
  '__proto__',
  'constructor',
];

describe('hostile input', () => {
  let app: NestFastifyApplication;
  const figures = { tried: 0, serverErrors: 0, leaks: 0 };
  const secretsOfBob: string[] = [];
  let credentials: Credential[] = [];
  /** The credentials of Alice's admin session (indexes into `credentials`). */
  let staffCredentials = new Set<number>();

  let telegram: FakeTelegram;
  let databases: OwnDatabases;

  beforeAll(async () => {
    // With the bot on, so that the webhook is fuzzed as it runs (its own bot database).
    telegram = await new FakeTelegram().start();
    databases = await ownDatabases('fuzz');
    app = await startTestApp(botEnv(telegram, databases, { SUPPORTED_CURRENCIES: 'HIA,HIB' }));
    await app.get(RatesService).setRate('HIA', 'HIB', '2');
    const alice = await registerAdmin(app);
    const bob = await registerUser(app, 'bob');
    const aliceWeb = await logIn(app, AppContext.Web, alice);
    const aliceAdmin = await logIn(app, AppContext.Admin, alice);
    const aliceTelegram = await linkTelegram(app, aliceWeb);
    const bobWeb = await logIn(app, AppContext.Web, bob);
    const bobOrder = await app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method: 'POST',
        url: '/web/orders',
        headers: { authorization: `Bearer ${bobWeb}` },
        payload: { fromCurrency: 'HIA', toCurrency: 'HIB', amount: '3.5' },
      });
    secretsOfBob.push(bob.id, bob.email, bobWeb, bobOrder.json<{ id: string }>().id);
    credentials = [
      {},
      { cookie: `web_session=${aliceWeb}` },
      { authorization: `Bearer ${aliceWeb}` },
      { cookie: `admin_session=${aliceAdmin}` },
      { authorization: `Bearer ${aliceAdmin}` },
      { authorization: `Bearer ${aliceTelegram}` },
      { cookie: `web_session=${aliceAdmin}` }, // another context's token
      { cookie: `admin_session=${aliceWeb}` },
      { cookie: `web_session=${aliceWeb.slice(0, 30)}` }, // truncated
      { cookie: `web_session=${'A'.repeat(43)}` }, // forged
      { cookie: `web_session=${aliceWeb.repeat(100)}` }, // oversized
      { authorization: 'Bearer \u0000\u0001' },
      { cookie: 'web_session=%E0%A4%A; admin_session="' }, // malformed cookie header
      signedByProvider,
      { 'x-telegram-bot-api-secret-token': TEST_WEBHOOK_SECRET },
    ];
    staffCredentials = new Set(
      credentials.flatMap((given, index) =>
        typeof given !== 'function' &&
        (given.cookie === `admin_session=${aliceAdmin}` ||
          given.authorization === `Bearer ${aliceAdmin}`)
          ? [index]
          : [],
      ),
    );
  });
  afterAll(async () => {
    console.info(
      `hostile input: ${figures.tried} requests tried, ${figures.serverErrors} answered 5xx, ` +
        `${figures.leaks} leaked another user's data`,
    );
    await app.close();
    await telegram.stop();
    await databases.drop();
  });

  const segment = fc.oneof(
    fc.constantFrom(...HOSTILE),
    fc.string({ maxLength: 40 }),
    fc.uuid(),
    fc.stringMatching(/^[A-Z]{3,4}$/),
  );
  const value = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constantFrom(...HOSTILE), fc.string());
  const body = fc.oneof(
    fc.constant(undefined),
    fc
      .dictionary(fc.constantFrom(...FIELDS), value, { maxKeys: 6 })
      .map((object) => JSON.stringify(object)),
    fc.jsonValue({ maxDepth: 4 }).map((json) => JSON.stringify(json)),
    fc.string({ maxLength: 200 }), // mostly not JSON at all
    fc.constantFrom('{"email":', '[[[[[[[[[[', '{"a":'.repeat(1000), 'null', '""'),
  );
  const contentType = fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    undefined,
  );
  const query = fc.dictionary(
    fc.constantFrom('limit', 'offset', 'page', '__proto__', 'x'),
    fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ maxLength: 20 }), fc.integer().map(String)),
    { maxKeys: 3 },
  );

  it('answers every generated request to every route without a 5xx, in the error shape, leaking nothing', async () => {
    const routes = routesOf(app);
    const fastify = app.getHttpAdapter().getInstance();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.array(segment, { minLength: 4, maxLength: 4 }),
        fc.nat({ max: credentials.length - 1 }),
        body,
        contentType,
        query,
        async (route, segments, credential, payload, type, params) => {
          figures.tried++;
          let index = 0;
          const path = route.path.replace(/:[a-z]+/gi, () =>
            encodeURIComponent(segments[index++] ?? ''),
          );
          const search = new URLSearchParams(params).toString();
          const given = credentials[credential] as Credential;
          const headers: Record<string, string> =
            typeof given === 'function' ? given(payload ?? '') : { ...given };
          if (type !== undefined && payload !== undefined) headers['content-type'] = type;
          const sent = fastify.inject({
            method: route.method as 'GET',
            url: search === '' ? path : `${path}?${search}`,
            headers,
            ...(payload === undefined || route.method === 'GET' ? {} : { payload }),
          });
          // A request that is never answered is a failure too, not a hang of the suite.
          const response = await Promise.race([
            sent,
            new Promise<never>((_, reject) =>
              setTimeout(
                () => reject(new Error(`no answer: ${route.method} ${path}`)),
                10_000,
              ).unref(),
            ),
          ]);
          if (response.statusCode >= 500) figures.serverErrors++;
          // Alice is staff: the admin panel answering her shows other users by design.
          const staffSeeingUsers =
            route.context === 'admin' &&
            staffCredentials.has(credential) &&
            response.statusCode < 300;
          const leaked = secretsOfBob.some((secret) => response.body.includes(secret));
          if (leaked && !staffSeeingUsers) figures.leaks++;
          expect(response.statusCode).toBeLessThan(500);
          if (response.statusCode >= 400) {
            expect(response.json()).toEqual({
              statusCode: response.statusCode,
              error: expect.any(String),
              message: expect.any(String),
              requestId: expect.any(String),
            });
            expect(response.body).not.toMatch(/\n\s+at |SELECT |INSERT |QueryFailedError/);
          }
          if (!staffSeeingUsers) {
            for (const secret of secretsOfBob) expect(response.body).not.toContain(secret);
          }
        },
      ),
      { numRuns: RUNS * routes.length, seed: SEED, endOnFailure: true },
    );
  }, 600_000);
});
