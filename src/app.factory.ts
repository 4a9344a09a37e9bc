import cookie from '@fastify/cookie';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import helmet from 'helmet';
import { Logger } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { AppModule } from './app.module.js';
import { REQUEST_ID_HEADER, requestIdOf } from './common/http/request-id.js';
import type { AppConfig } from './config/app-config.js';

/**
 * Builds the ready-to-listen application: the same function serves `main.ts` and every
 * e2e test, so tests exercise exactly what runs in production.
 */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    genReqId: requestIdOf,
    trustProxy: trustedProxies(config.http.trustProxy),
    return503OnClosing: true,
    // Errors Fastify raises before any route runs (a malformed URL) get the API's error shape too.
    frameworkErrors: (error: Error, request: FastifyRequest, reply: FastifyReply) => {
      void reply.code(400).send({
        statusCode: 400,
        error: 'Bad Request',
        message: error.message,
        requestId: request.id,
      });
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), adapter, {
    bufferLogs: true,
    // Fastify's own JSON parser only: Nest would add a form parser, and JSON endpoints
    // must refuse forms (415) so that a plain HTML form cannot post to them.
    bodyParser: false,
    // Fail with an exception (reported by main) instead of aborting the process.
    abortOnError: false,
  });
  app.useLogger(app.get(Logger));
  app.flushLogs();

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request, reply) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
  });
  fastify.removeContentTypeParser('text/plain');
  // An answer that closes the connection before the body is in (413) waits for the rest
  // of it, so that the close cannot reset a client still sending and lose the answer.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (bodyIsIn(request.raw) || reply.getHeader('connection') !== 'close') {
      done(null, payload);
      return;
    }
    void drainBody(request.raw).then(() => done(null, payload));
  });
  await app.register(cookie);
  // Security headers from helmet, built once (@fastify/helmet rebuilds them on every request).
  const securityHeaders = helmet({
    // Only /docs serves HTML; its styles are inline.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
      },
    },
  });
  fastify.addHook('onRequest', (request, reply, done) => {
    securityHeaders(request.raw, reply.raw, () => done());
  });
  setUpOpenApi(app);
  await app.init();
  await fastify.ready();
  return app;
}

/** Whether the request body has been received whole (or never will be: the request is gone). */
function bodyIsIn(body: IncomingMessage): boolean {
  // `complete` is set by the HTTP parser; an injected request (tests) only ends its stream.
  return body.complete || body.readableEnded || body.destroyed;
}

/** A client sending more than this past the limit, or for longer, is cut off unanswered. */
const DRAIN_MAX_BYTES = 64 * 1024 * 1024;
const DRAIN_MAX_MS = 10_000;

/**
 * Reads and discards what is left of a request body. Closing a socket with unread data
 * makes the kernel send a reset, and a client still sending then loses the answer it has
 * not read yet. Bounded in bytes and time: resolves when the body has ended or either
 * bound is reached (the answer then goes out, and the connection closes, regardless).
 */
function drainBody(body: IncomingMessage): Promise<void> {
  return new Promise((resolve) => {
    if (bodyIsIn(body)) {
      resolve();
      return;
    }
    let received = 0;
    const finish = () => {
      clearTimeout(timer);
      body.off('data', count).off('end', finish).off('error', finish).off('close', finish);
      resolve();
    };
    const count = (chunk: Buffer) => {
      received += chunk.length;
      if (received > DRAIN_MAX_BYTES) finish();
    };
    const timer = setTimeout(finish, DRAIN_MAX_MS);
    body.on('data', count).on('end', finish).on('error', finish).on('close', finish);
    body.resume();
  });
}

/** Fastify's trustProxy: a hop count as the function Fastify would make of it (its types take none). */
function trustedProxies(
  setting: AppConfig['http']['trustProxy'],
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return (_address, hop) => hop < setting;
  return setting === false ? false : [...setting];
}

function setUpOpenApi(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Exchanger API')
      .setDescription('Web, admin and Telegram applications over one identity store')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs/openapi.json' });
}
