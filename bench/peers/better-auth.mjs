// Better Auth on node:http with PostgreSQL and Redis as its secondary storage (sessions are
// read from Redis only): `POST /api/auth/*` is Better Auth's own handler, `GET /me` is its
// getSession. Creates its tables at start. Started by bench/run.mjs.
import { createServer } from 'node:http';
import { createClient } from '@redis/client';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { fromNodeHeaders, toNodeHandler } from 'better-auth/node';
import pg from 'pg';

const port = Number(process.env.PORT);
const redis = createClient({ url: process.env.REDIS_URL });
await redis.connect();
const key = (name) => `bench-better-auth:${name}`;

const auth = betterAuth({
  baseURL: `http://127.0.0.1:${port}`,
  secret: 'bench-better-auth-secret-0123456789abcdef',
  database: new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 }),
  emailAndPassword: { enabled: true },
  secondaryStorage: {
    get: (name) => redis.get(key(name)),
    getAndDelete: (name) => redis.getDel(key(name)),
    increment: async (name, ttl) => {
      const [count] = await redis.multi().incr(key(name)).expire(key(name), ttl, 'NX').exec();
      return Number(count);
    },
    set: (name, value, ttl) =>
      ttl === undefined
        ? redis.set(key(name), value)
        : redis.set(key(name), value, { expiration: { type: 'EX', value: ttl } }),
    delete: (name) => redis.del(key(name)),
  },
  // The bench measures the session check, not Better Auth's request limits.
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
});
const { runMigrations } = await getMigrations(auth.options);
await runMigrations();

const authHandler = toNodeHandler(auth);
function answer(response, status, body) {
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  response.end(JSON.stringify(body));
}

createServer((request, response) => {
  if (request.url.startsWith('/api/auth/')) return void authHandler(request, response);
  if (request.url !== '/me') return answer(response, 404, { statusCode: 404 });
  auth.api.getSession({ headers: fromNodeHeaders(request.headers) }).then(
    (found) =>
      found === null
        ? answer(response, 401, { statusCode: 401 })
        : answer(response, 200, {
            user: found.user,
            session: { expiresAt: found.session.expiresAt },
          }),
    () => answer(response, 503, { statusCode: 503 }),
  );
}).listen(port, '127.0.0.1');
