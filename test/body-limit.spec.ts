import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { request as httpRequest } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Writable } from 'node:stream';
import { startTestApp } from './support/test-app.js';

/** A 3 MB JSON body, far over the default limit of 64 KiB. */
const OVERSIZED = Buffer.from(
  JSON.stringify({ email: 'a@example.test', password: 'x'.repeat(3 << 20) }),
);
const CHUNK = 64 * 1024;
/** HTTP_BODY_LIMIT_BYTES by default. */
const LIMIT = 64 * 1024;

/** A login body of exactly `size` bytes, the password padded to fit. */
function loginBodyOf(size: number): Buffer {
  const empty = JSON.stringify({ email: 'a@example.test', password: '' });
  return Buffer.from(
    JSON.stringify({ email: 'a@example.test', password: 'x'.repeat(size - empty.length) }),
  );
}

interface Answer {
  status: number;
  body: string;
}

/**
 * Writes the body in pieces, as a real network delivers it, so that the server answers
 * while the client is still sending.
 */
async function writeSlowly(stream: Writable, body: Buffer): Promise<void> {
  for (let offset = 0; offset < body.length; offset += CHUNK) {
    if (stream.destroyed) return;
    stream.write(body.subarray(offset, offset + CHUNK));
    await sleep(1);
  }
}

/** A client that reads the answer while it sends (node:http), over a fresh TCP connection. */
function postReadingWhileSending(port: number, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/web/auth/login',
        method: 'POST',
        agent: false,
        headers: { 'content-type': 'application/json', 'content-length': body.length },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        response.on('error', reject);
      },
    );
    // A write that fails once the answer is in (the server closed after it) is no failure.
    request.on('error', (error) => setTimeout(() => reject(error), 100));
    void writeSlowly(request, body).then(() => request.end());
  });
}

/** A client that sends the whole request before it reads a byte of the answer (many do). */
function postThenRead(port: number, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    socket.pause();
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('end', () => {
      const [head = '', payload = ''] = Buffer.concat(chunks).toString().split('\r\n\r\n', 2);
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body: payload });
    });
    socket.write(
      'POST /web/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
    );
    void writeSlowly(socket, body).then(() => socket.resume());
  });
}

describe('a body over the size limit, over a real socket', () => {
  let app: NestFastifyApplication;
  let port: number;

  beforeAll(async () => {
    app = await startTestApp();
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => app.close());

  /** Each answer is a 413 in the API's error shape; a reset or anything else is listed. */
  async function answersOf(requests: Array<Promise<Answer>>): Promise<string[]> {
    const outcomes = await Promise.allSettled(requests);
    return outcomes.map((outcome) => {
      if (outcome.status === 'rejected') return `failed: ${String(outcome.reason)}`;
      const { status, body } = outcome.value;
      try {
        const parsed = JSON.parse(body) as Record<string, unknown>;
        const shaped =
          parsed.statusCode === 413 &&
          parsed.error === 'Payload Too Large' &&
          typeof parsed.message === 'string' &&
          typeof parsed.requestId === 'string' &&
          Object.keys(parsed).length === 4;
        return status === 413 && shaped ? '413' : `${status}: ${body}`;
      } catch {
        return `${status}: ${body}`;
      }
    });
  }

  it.each([
    ['reads while it sends', postReadingWhileSending],
    ['sends everything before it reads', postThenRead],
  ])(
    'answers 413 to a client that %s, 25 times in a row',
    async (_, post) => {
      const answers: string[] = [];
      for (let round = 0; round < 25; round++) {
        answers.push(...(await answersOf([post(port, OVERSIZED)])));
      }
      expect(answers).toEqual(Array(25).fill('413'));
    },
    120_000,
  );

  it('answers 413 to several at once', async () => {
    for (let round = 0; round < 3; round++) {
      const answers = await answersOf([
        postReadingWhileSending(port, OVERSIZED),
        postReadingWhileSending(port, OVERSIZED),
        postThenRead(port, OVERSIZED),
        postThenRead(port, OVERSIZED),
      ]);
      expect(answers).toEqual(Array(4).fill('413'));
    }
  }, 120_000);

  it.each([
    [LIMIT - 1, 'is read'],
    [LIMIT, 'is read'],
    [LIMIT + 1, 'is refused'],
  ])('a body of %i bytes %s', async (size, outcome) => {
    const body = loginBodyOf(size);
    expect(body.length).toBe(size);
    const [answer] = await answersOf([postThenRead(port, body)]);
    // Read, it reaches validation, which refuses a password that long (400, not 413).
    expect(answer).toEqual(outcome === 'is read' ? expect.stringMatching(/^400: /) : '413');
  });

  it('still serves the next request', async () => {
    const small = Buffer.from('{}');
    expect((await postThenRead(port, small)).status).toBe(400);
  });
});
