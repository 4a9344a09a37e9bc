import type { IncomingMessage } from 'node:http';

/**
 * The wire conventions of the Bot API (https://core.telegram.org/bots/api#making-requests),
 * as the real server applies them: parameters may come from the query string and from a
 * JSON, urlencoded or multipart body, and every argument is read the way the server reads
 * it: as text, with numbers and JSON objects decoded from that text when needed.
 */

/** An error answer: `{"ok":false,"error_code":…}` with the HTTP status equal to the code. */
export class BotApiError extends Error {
  readonly errorCode: number;
  readonly retryAfter: number | undefined;

  constructor(errorCode: number, description: string, retryAfter?: number) {
    super(description);
    this.errorCode = errorCode;
    this.retryAfter = retryAfter;
  }

  toJSON(): object {
    return {
      ok: false,
      error_code: this.errorCode,
      description: this.message,
      ...(this.retryAfter === undefined ? {} : { parameters: { retry_after: this.retryAfter } }),
    };
  }
}

export const badRequest = (what: string): BotApiError =>
  new BotApiError(400, `Bad Request: ${what}`);

/** A file part of a multipart request: only its name and size are kept. */
export interface UploadedFile {
  filename: string;
  size: number;
}

export type Params = Record<string, unknown>;

/** Far above anything the tests send; a runaway client gets 413 rather than an OOM. */
const MAX_BODY_BYTES = 20 * 1024 * 1024;

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new BotApiError(413, 'Request Entity Too Large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Query-string parameters, overridden by those of the body. */
export async function readParams(request: IncomingMessage, url: URL): Promise<Params> {
  const params: Params = Object.fromEntries(url.searchParams);
  const body = await readBody(request);
  if (body.length === 0) return params;
  const contentType = request.headers['content-type'] ?? '';
  const mediaType = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  switch (mediaType) {
    case 'application/json':
      return { ...params, ...parseJsonObject(body) };
    case 'application/x-www-form-urlencoded':
      return { ...params, ...Object.fromEntries(new URLSearchParams(body.toString('utf8'))) };
    case 'multipart/form-data':
      return { ...params, ...(await parseMultipart(body, contentType)) };
    default:
      return params;
  }
}

function parseJsonObject(body: Buffer): Params {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw badRequest("can't parse JSON encoded request");
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw badRequest('JSON encoded request must be an object');
  return parsed as Params;
}

/** Node's own WHATWG form-data parser; it accepts grammY's compact part headers. */
async function parseMultipart(body: Buffer, contentType: string): Promise<Params> {
  let form: FormData;
  try {
    form = await new Response(new Uint8Array(body), {
      headers: { 'content-type': contentType },
    }).formData();
  } catch {
    throw badRequest("can't parse multipart/form-data request");
  }
  const params: Params = {};
  for (const [name, value] of form) {
    params[name] =
      typeof value === 'string'
        ? value
        : ({ filename: value.name, size: value.size } satisfies UploadedFile);
  }
  return params;
}

/** An argument as the server sees it: text ('' when absent), objects as their JSON. */
export function text(params: Params, name: string): string {
  const value = params[name];
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** An integer argument; absent or not a number gives `fallback`, as on the real server. */
export function integer(params: Params, name: string, fallback: number): number {
  const raw = text(params, name).trim();
  if (raw === '') return fallback;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : fallback;
}

export function flag(params: Params, name: string): boolean {
  const raw = text(params, name).toLowerCase();
  return raw === 'true' || raw === '1';
}

/** A JSON-typed argument: an object in a JSON body, or its serialisation in a form. */
export function json(params: Params, name: string, what: string): unknown {
  const value = params[name];
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw badRequest(`can't parse ${what} JSON object`);
  }
}
