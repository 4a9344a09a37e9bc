// The usual Node stack for the same job: Express 5 + express-session + connect-redis,
// one Redis GET per request to load the session, and by default an EXPIRE too (the store's
// touch, which keeps a rolling expiry); DISABLE_TOUCH=true sets connect-redis's
// `disableTouch`, so a request is the GET alone. Started by bench/run.mjs, both ways.
import { createClient } from '@redis/client';
import { RedisStore } from 'connect-redis';
import express from 'express';
import session from 'express-session';

const port = Number(process.env.PORT);
const redis = createClient({ url: process.env.REDIS_URL });
await redis.connect();

const disableTouch = process.env.DISABLE_TOUCH === 'true';

const app = express();
app.use(
  session({
    store: new RedisStore({ client: redis, prefix: 'bench-peer:', disableTouch }),
    secret: 'bench-peer-secret',
    resave: false,
    saveUninitialized: false,
    cookie: { httpOnly: true, sameSite: 'lax', maxAge: 24 * 3_600_000 },
  }),
);
app.post('/login', (request, response) => {
  request.session.user = {
    id: 'bench-user',
    email: 'bench@example.test',
    permissions: ['orders:read'],
  };
  response.json({ user: request.session.user });
});
app.get('/me', (request, response) => {
  if (request.session.user === undefined) return response.status(401).json({ statusCode: 401 });
  return response.json({ user: request.session.user, session: { id: request.session.id } });
});
app.listen(port, '127.0.0.1');
