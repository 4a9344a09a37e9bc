// The floor for a cached session check: node:http, the `web_session` cookie, one Redis GET
// (node-redis, the client the API uses) of the key the harness seeded. Started by bench/run.mjs.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createClient } from '@redis/client';

const port = Number(process.env.PORT);
const redis = createClient({ url: process.env.REDIS_URL });
await redis.connect();

/** The same work as the API's key: sha256 of the token, never the token itself. */
const sessionKey = (token) =>
  `bench-peer:session:${createHash('sha256').update(token).digest('hex')}`;

function cookieValue(header, name) {
  for (const pair of (header ?? '').split(';')) {
    const separator = pair.indexOf('=');
    if (pair.slice(0, separator).trim() === name) return pair.slice(separator + 1).trim();
  }
  return undefined;
}

function answer(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

createServer((request, response) => {
  const token = cookieValue(request.headers.cookie, 'web_session');
  if (request.url !== '/me') return answer(response, 404, { statusCode: 404 });
  if (token === undefined) return answer(response, 401, { statusCode: 401 });
  redis.get(sessionKey(token)).then(
    (stored) => {
      if (stored === null) return answer(response, 401, { statusCode: 401 });
      const { user, permissions, expiresAt } = JSON.parse(stored);
      answer(response, 200, { user, permissions, session: { expiresAt } });
    },
    () => answer(response, 503, { statusCode: 503 }),
  );
}).listen(port, '127.0.0.1');
