import { execFileSync } from 'node:child_process';
import { DomainError } from '../src/common/domain-error.js';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createClient } from '@redis/client';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import request from 'supertest';
import { AppContext, CONTEXTS } from '../src/common/app-context.js';
import type { NamespacedStore } from '../src/redis/index.js';
import { storeToken } from '../src/redis/index.js';
import { RatesService } from '../src/web/index.js';
import { eventually } from './support/eventually.js';
import { sqlDuring } from './support/sql-counter.js';
import { startTestApp } from './support/test-app.js';
import {
  TEST_POSTGRES_URL,
  TEST_REDIS_URL,
  testDatabaseNameOf,
  testEnv,
} from './support/test-env.js';

/** Currencies of this file only, so that no other test's rates interfere. */
const CURRENCIES = 'RTA,RTB,RTC,RTD,RTE,RTF,RTG,RTH,RTI,RTJ,RTK,RTN,RTO,RTP,RTQ,RTR,RTS';

describe('exchange rates', () => {
  let app: NestFastifyApplication;
  let rates: RatesService;
  const redis = createClient({ url: TEST_REDIS_URL });
  const http = () => request(app.getHttpServer());

  beforeAll(async () => {
    app = await startTestApp({ SUPPORTED_CURRENCIES: CURRENCIES });
    rates = app.get(RatesService);
    await redis.connect();
    await rates.setRate('RTA', 'RTB', '1.25');
    await sleep(3_100); // a change refuses refills for 3 s
  });
  afterAll(async () => {
    await redis.close();
    await app.close();
  });

  it('serves the current rate of a pair without a session', async () => {
    const response = await http().get('/web/rates/RTA/RTB').expect(200);
    expect(response.body).toEqual({
      from: 'RTA',
      to: 'RTB',
      rate: '1.25000000',
      validFrom: expect.any(String),
      validUntil: null,
    });
  });

  it('reads a quote through cache:web:rates:{FROM}_{TO} (5 minutes), without SQL once cached', async () => {
    await http().get('/web/rates/RTA/RTB').expect(200);
    expect(await sqlDuring(() => http().get('/web/rates/RTA/RTB').expect(200))).toEqual([]);
    const ttl = await redis.pTTL('cache:web:rates:RTA_RTB');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(5 * 60_000);
  });

  it('shows a new rate on the very next quote', async () => {
    await http().get('/web/rates/RTA/RTE').expect(404);
    await rates.setRate('RTA', 'RTE', '7');
    expect((await http().get('/web/rates/RTA/RTE').expect(200)).body.rate).toBe('7.00000000');
    await http().get('/web/rates/RTA/RTE').expect(200);
    await rates.setRate('RTA', 'RTE', '7.5');
    expect((await http().get('/web/rates/RTA/RTE').expect(200)).body.rate).toBe('7.50000000');
  });

  it('does not cache a rate past the moment its pair changes', async () => {
    const changesAt = Date.now() + 5_000;
    await rates.setRate('RTC', 'RTD', '2');
    await rates.setRate('RTC', 'RTD', '3', new Date(changesAt));
    await sleep(3_100);
    expect((await http().get('/web/rates/RTC/RTD').expect(200)).body.rate).toBe('2.00000000');
    const ttl = await redis.pTTL('cache:web:rates:RTC_RTD');
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(changesAt - Date.now() + 50);
    await sleep(changesAt - Date.now() + 200);
    expect((await http().get('/web/rates/RTC/RTD').expect(200)).body.rate).toBe('3.00000000');
  });

  it('lists every current pair', async () => {
    // Test files with databases of their own share this Redis: one of them may have cached its
    // own list under the same key just now. Read this database's list.
    let pairs: string[] = [];
    await eventually(async () => {
      await redis.del('cache:web:rates:_all');
      const response = await http().get('/web/rates').expect(200);
      pairs = (response.body as Array<{ from: string; to: string }>).map(
        (r) => `${r.from}/${r.to}`,
      );
      return pairs.includes('RTA/RTB');
    });
    expect(pairs).toEqual(expect.arrayContaining(['RTA/RTB', 'RTC/RTD']));
    expect(pairs.every((pair) => /^RT[A-Z]\/RT[A-Z]$/.test(pair))).toBe(true);
  });

  it('answers 404 with a clear message for a pair without a rate', async () => {
    const response = await http().get('/web/rates/RTB/RTE').expect(404);
    expect(response.body.message).toBe('No rate for RTB/RTE');
  });

  it.each([
    ['a lower-case code', '/web/rates/rta/RTB', 'from'],
    ['a code too long', '/web/rates/RTA/ABCDEFGHIJK', 'to'],
    ['an unsupported code', '/web/rates/USD/RTB', 'from USD is not a supported currency'],
    ['the same currency twice', '/web/rates/RTA/RTA', 'to must differ'],
    ['a path traversal', '/web/rates/..%2F..%2Fadmin/RTB', 'from'],
  ])('answers %s with 400 naming it', async (_, path, message) => {
    const response = await http().get(path).expect(400);
    expect(response.body.message).toContain(message);
  });

  describe('setting a rate', () => {
    /** The refusal of a setRate call (a domain error), for its kind and message. */
    async function refusal(setting: Promise<unknown>): Promise<DomainError> {
      const error: unknown = await setting.then(
        () => undefined,
        (reason: unknown) => reason,
      );
      if (!(error instanceof DomainError)) throw new Error(`not refused: ${String(error)}`);
      return error;
    }

    it('refuses a rate whose round trip with the current opposite rate returns 1 or more', async () => {
      await rates.setRate('RTF', 'RTG', '0.92');
      await rates.setRate('RTG', 'RTF', '1.086');
      const refused = await refusal(rates.setRate('RTG', 'RTF', '1.087'));
      expect(refused.refusal).toBe('conflict');
      expect(refused.message).toBe(
        'RTG/RTF at 1.08700000 with RTF/RTG at 0.92000000 returns 1.00004 RTG for each RTG ' +
          'exchanged there and back; the round trip must return less than 1',
      );
      expect((await http().get('/web/rates/RTG/RTF').expect(200)).body.rate).toBe('1.08600000');
      // Either side of the pair: raising the other rate is refused as well.
      expect((await refusal(rates.setRate('RTF', 'RTG', '0.93'))).refusal).toBe('conflict');
    });

    it('refuses a round trip of exactly 1', async () => {
      await rates.setRate('RTH', 'RTI', '1');
      expect((await refusal(rates.setRate('RTI', 'RTH', '1'))).message).toContain('returns 1 RTI');
      await rates.setRate('RTI', 'RTH', '0.999');
    });

    it('checks against an opposite rate scheduled for later, too', async () => {
      await rates.setRate('RTK', 'RTJ', '1.9', new Date(Date.now() + 3_600_000));
      await rates.setRate('RTJ', 'RTK', '0.52'); // 0.988: sound
      expect((await refusal(rates.setRate('RTJ', 'RTK', '0.53'))).refusal).toBe('conflict');
    });

    it('lets only one of two opposite rates set at the same time through when together they pay out', async () => {
      for (const [a, b] of [
        ['RTN', 'RTO'],
        ['RTP', 'RTQ'],
        ['RTR', 'RTS'],
      ] as const) {
        // Each is sound against what is there (nothing); together they return 1.045.
        const results = await Promise.allSettled([
          rates.setRate(a, b, '1.1'),
          rates.setRate(b, a, '0.95'),
        ]);
        expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
      }
    });
  });

  it('lets an invalidation win over a refill that read before it (driven 20 times)', async () => {
    const store = app.get<NamespacedStore>(storeToken(CONTEXTS[AppContext.Web].cacheNamespace));
    for (let round = 0; round < 20; round++) {
      const key = `probe:race:${round}`;
      let release!: () => void;
      const loaded = new Promise<void>((resolve) => (release = resolve));
      const reading = store.readThrough(key, 60_000, async () => {
        await loaded; // the database has been read (stale); the change and invalidation happen now
        return 'stale';
      });
      await sleep(1);
      await store.invalidate(key);
      release();
      expect(await reading).toBe('stale');
      expect(await redis.get(`cache:web:${key}`)).toBe('x');
      expect(await store.readThrough(key, 60_000, () => Promise.resolve('fresh'))).toBe('fresh');
    }
  });

  it('seeds a starting set of rates into an empty web database (npm run seed:rates)', async () => {
    const seedDatabase = testDatabaseNameOf('seed');
    const seedUrl = `${TEST_POSTGRES_URL}/${seedDatabase}`;
    const admin = new pg.Client({ connectionString: `${TEST_POSTGRES_URL}/postgres` });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${seedDatabase} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${seedDatabase}`);
    try {
      const env = testEnv({ DATABASE_WEB_URL: seedUrl });
      const run = () =>
        execFileSync(process.execPath, ['dist/web/rates/seed-rates.cli.js'], {
          env: { PATH: process.env.PATH, ...env },
          encoding: 'utf8',
        });
      expect(run()).toMatch(/seeded \d+ rates/);
      expect(run()).toMatch(/nothing seeded/);
      const seeded = new pg.Client({ connectionString: seedUrl });
      await seeded.connect();
      const { rows } = await seeded.query(
        `SELECT rate FROM exchange_rates WHERE from_currency = 'USD' AND to_currency = 'EUR'`,
      );
      expect(rows).toEqual([{ rate: '0.92000000' }]);
      // No seeded pair pays out on a round trip.
      const unsound = await seeded.query(
        `SELECT a.from_currency, a.to_currency, a.rate * b.rate AS returned
         FROM exchange_rates a JOIN exchange_rates b
           ON b.from_currency = a.to_currency AND b.to_currency = a.from_currency
         WHERE a.rate * b.rate >= 1`,
      );
      expect(unsound.rows).toEqual([]);
      await seeded.end();
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${seedDatabase} WITH (FORCE)`);
      await admin.end();
    }
  });
});
