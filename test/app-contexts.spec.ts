import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { getDataSourceToken } from '@nestjs/typeorm';
import request from 'supertest';
import { AppContext, CONTEXTS, Database } from '../src/common/app-context.js';
import { storeToken } from '../src/redis/index.js';
import { startTestApp } from './support/test-app.js';

describe('APP_CONTEXTS=web', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    // No admin or bot URL at all: a web process must not need them.
    app = await startTestApp({ APP_CONTEXTS: 'web', DATABASE_ADMIN_URL: '', DATABASE_BOT_URL: '' });
  });
  afterAll(() => app.close());

  it('connects to the identity and web databases only', async () => {
    const response = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(Object.keys(response.body.details).sort()).toEqual([
      'cache',
      'database:identity',
      'database:web',
    ]);
    expect(() => app.get<unknown>(getDataSourceToken(Database.Admin), { strict: false })).toThrow();
    expect(() => app.get<unknown>(getDataSourceToken(Database.Bot), { strict: false })).toThrow();
  });

  it('has no admin or telegram cache store', () => {
    expect(
      app.get(storeToken(CONTEXTS[AppContext.Web].cacheNamespace), { strict: false }),
    ).toBeDefined();
    for (const context of [AppContext.Admin, AppContext.Telegram]) {
      expect(() =>
        app.get<unknown>(storeToken(CONTEXTS[context].cacheNamespace), { strict: false }),
      ).toThrow();
    }
  });
});
