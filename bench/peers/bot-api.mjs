// A Bot API that answers every call at once, for the bot's row of the bench (the tests' fake,
// test/support/fake-telegram.ts, checks far more and costs more). Started by bench/run.mjs;
// GET /stats counts the calls per method.
import { Buffer } from 'node:buffer';
import { createServer } from 'node:http';

const port = Number(process.env.PORT);
const token = process.env.BOT_TOKEN;
const botId = Number(token.split(':')[0]);
const calls = {};
let messageId = 0;

const me = { id: botId, is_bot: true, first_name: 'Bench', username: 'bench_bot' };

function result(method, params) {
  switch (method) {
    case 'getMe':
      return me;
    case 'sendMessage':
    case 'editMessageText': {
      messageId += 1;
      const chat = { id: Number(params.chat_id), type: 'private', first_name: 'Bench' };
      return {
        message_id: messageId,
        from: me,
        chat,
        date: Math.floor(Date.now() / 1000),
        text: params.text,
      };
    }
    case 'getUpdates':
      return [];
    default:
      return true;
  }
}

createServer((request, response) => {
  const chunks = [];
  request.on('data', (chunk) => chunks.push(chunk));
  request.on('end', () => {
    if (request.url === '/stats') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(calls));
      return;
    }
    const route = /^\/bot([^/]+)\/([^/?]+)/.exec(request.url ?? '');
    const ok = route !== null && route[1] === token;
    const method = route?.[2] ?? '';
    let params;
    try {
      params = chunks.length === 0 ? {} : JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      params = {};
    }
    calls[method] = (calls[method] ?? 0) + 1;
    const body = ok
      ? { ok: true, result: result(method, params) }
      : { ok: false, error_code: 401, description: 'Unauthorized' };
    const payload = JSON.stringify(body);
    response.writeHead(ok ? 200 : 401, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(payload),
    });
    response.end(payload);
  });
}).listen(port, '127.0.0.1');
