import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import request from 'supertest';
import { RedisConnection } from '../src/redis/index.js';
import { eventually } from './support/eventually.js';
import { sqlDuring } from './support/sql-counter.js';
import { startTestApp } from './support/test-app.js';

describe('health and the error shape', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('answers liveness without touching any dependency', async () => {
    const counters = app.get(RedisConnection).counters;
    // Background work may send a Redis command in any window: one window of ten answers
    // free of both is enough, whereas a liveness that asked either would never have one.
    await eventually(async () => {
      const commands = counters.commands;
      const sql = await sqlDuring(async () => {
        for (let round = 0; round < 10; round++)
          await request(app.getHttpServer()).get('/health').expect(200, { status: 'ok' });
      });
      return sql.length === 0 && counters.commands === commands;
    }, 10_000);
  });

  it('reports every database and the Redis cache as up when ready', async () => {
    const response = await request(app.getHttpServer()).get('/health/ready').expect(200);
    expect(response.body.status).toBe('ok');
    expect(response.body.details).toEqual({
      'database:identity': expect.objectContaining({ status: 'up' }),
      'database:web': expect.objectContaining({ status: 'up' }),
      'database:admin': expect.objectContaining({ status: 'up' }),
      'database:bot': expect.objectContaining({ status: 'up' }),
      cache: { status: 'up', store: 'redis', connected: true },
    });
  });

  it('answers an unknown route with the JSON error shape and the request id', async () => {
    const response = await request(app.getHttpServer()).get('/nowhere').expect(404);
    expect(response.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'Cannot GET /nowhere',
      requestId: response.headers['x-request-id'],
    });
  });

  it('names every request by an id of its own, never one a client sent', async () => {
    const sent = await request(app.getHttpServer()).get('/health').set('x-request-id', 'lb-42.a');
    expect(sent.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const again = await request(app.getHttpServer()).get('/health').set('x-request-id', 'lb-42.a');
    expect(again.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(again.headers['x-request-id']).not.toBe(sent.headers['x-request-id']);
  });

  it('sends the security headers on every response', async () => {
    const response = await request(app.getHttpServer()).get('/health').expect(200);
    expect(response.headers).toMatchObject({
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'SAMEORIGIN',
      'strict-transport-security': expect.stringContaining('max-age='),
      'content-security-policy': expect.stringContaining("default-src 'self'"),
    });
  });

  it('serves the OpenAPI description at /docs', async () => {
    const response = await request(app.getHttpServer()).get('/docs/openapi.json').expect(200);
    expect(response.body.paths).toHaveProperty('/health/ready');
  });

  it('serves no API documentation when API_DOCS is off', async () => {
    const closed = await startTestApp({ API_DOCS: 'false' });
    try {
      for (const path of ['/docs', '/docs/openapi.json', '/docs/openapi.yaml'])
        await request(closed.getHttpServer()).get(path).expect(404);
      await request(closed.getHttpServer()).get('/health').expect(200);
    } finally {
      await closed.close();
    }
  });
});
