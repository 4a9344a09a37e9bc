// The floor for a session check that misses the cache: node:http, the `web_session` cookie,
// one named prepared SELECT by primary key on a pg.Pool (no transaction, no client of its
// own), against the API's own `sessions` table in the bench identity database; whether the
// row is a live web session is decided on the row. Started by bench/run.mjs.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';

const port = Number(process.env.PORT);
// The API's default pool size per database, so both wait on connections alike.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });

/** A named statement: parsed and planned once per connection, then only bound and executed. */
const sessionById = (token) => ({
  name: 'bench-session-by-id',
  text: 'SELECT user_id, application_context, revoked, expires_at FROM sessions WHERE id = $1',
  values: [createHash('sha256').update(token).digest('hex')],
});

const live = (session) =>
  session !== undefined &&
  session.application_context === 'web' &&
  !session.revoked &&
  session.expires_at.getTime() > Date.now();

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
  pool.query(sessionById(token)).then(
    ({ rows: [session] }) => {
      if (!live(session)) return answer(response, 401, { statusCode: 401 });
      answer(response, 200, {
        user: { id: session.user_id },
        session: { expiresAt: session.expires_at },
      });
    },
    () => answer(response, 503, { statusCode: 503 }),
  );
}).listen(port, '127.0.0.1');
