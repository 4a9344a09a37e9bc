import { REQUEST_ID_HEADER } from '@exchanger/identity';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppModule } from './app.module.js';
import { bodyIsIn, drainBody } from './common/http/body-drain.js';
import { parseJsonKeepingRawBodies } from './common/http/raw-body.js';
import { API_SECURITY_HEADERS } from './common/http/security-headers.js';
import {
  AppLogger,
  createLogger,
  currentRequestId,
  logRequest,
  withRequestContext,
} from './common/logging.js';
import type { AppConfig } from './config/app-config.js';

/**
 * Builds the ready-to-listen application: the same function serves `main.ts` and every
 * e2e test, so tests exercise exactly what runs in production. Everything that runs on
 * every request (request id, security headers, the request's log line) is a Fastify hook
 * of its own, done once: no Express-style middleware, no per-request logger.
 */
export async function createApp(config: AppConfig): Promise<NestFastifyApplication> {
  const log = createLogger(config.log.level);
  const adapter = new FastifyAdapter({
    bodyLimit: config.http.bodyLimitBytes,
    genReqId: currentRequestId,
    trustProxy: trustedProxies(config.http.trustProxy),
    return503OnClosing: true,
    // No Nest middleware here: every per-request step is a Fastify hook.
    skipMiddie: true,
    // Every line logged while serving a request carries its id.
    serverFactory: (handler: (request: IncomingMessage, response: ServerResponse) => void) =>
      createServer(withRequestContext(handler)),
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
    logger: new AppLogger(log),
    // Fastify's own JSON parser only: Nest would add a form parser, and JSON endpoints
    // must refuse forms (415) so that a plain HTML form cannot post to them.
    bodyParser: false,
    // Fail with an exception (reported by main) instead of aborting the process.
    abortOnError: false,
  });

  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(API_SECURITY_HEADERS).header(REQUEST_ID_HEADER, request.id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    logRequest(log, request.raw, request.id, reply.statusCode, reply.elapsedTime);
    done();
  });
  fastify.removeContentTypeParser('text/plain');
  parseJsonKeepingRawBodies(fastify);
  // An answer that closes the connection before the body is in (413) waits for the rest
  // of it, so that the close cannot reset a client still sending and lose the answer.
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (bodyIsIn(request.raw) || reply.getHeader('connection') !== 'close') {
      done(null, payload);
      return;
    }
    void drainBody(request.raw).then(() => done(null, payload));
  });
  if (config.http.apiDocs) setUpOpenApi(app);
  await app.init();
  await fastify.ready();
  return app;
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
