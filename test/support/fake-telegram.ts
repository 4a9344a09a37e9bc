import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type {
  BotCommand,
  InlineKeyboardMarkup,
  Message,
  MessageEntity,
  Update,
  User,
  UserFromGetMe,
  WebhookInfo,
} from 'grammy/types';
import { ChatBook, type ChatRecord, type PrivateTextMessage } from './fake-telegram/chats.js';
import { type Fault, FaultPlan } from './fake-telegram/faults.js';
import {
  BotApiError,
  badRequest,
  flag,
  integer,
  json,
  type Params,
  readParams,
  text,
} from './fake-telegram/protocol.js';
import { CONFLICT_SET_WEBHOOK, UpdateQueue } from './fake-telegram/update-queue.js';

export type { Fault } from './fake-telegram/faults.js';
export { ANY_METHOD } from './fake-telegram/faults.js';

/**
 * A local stand-in for the Telegram Bot API (https://core.telegram.org/bots/api), for tests:
 * the bot talks to it exactly as to api.telegram.org, with only the API root changed.
 *
 * It speaks the real protocol (`<apiRoot>/bot<token>/<method>`, GET or POST, query string,
 * JSON, urlencoded or multipart parameters, `{ok, result}` / `{ok:false, error_code,
 * description, parameters}` with the HTTP status equal to the code) for the methods the bot
 * uses, keeps what a user would see per chat, records every call, builds realistic updates
 * and lets a test inject faults: 429s, 5xx, blocked users, slow answers, dropped
 * connections, an outage. Any other method answers 404 like an unknown one.
 *
 * Deliberate differences from the real server: webhook URLs may be plain HTTP on any port
 * (the receiver is a local test server); `parse_mode` is not applied (text comes back as
 * sent, without entities derived from markup); there is no flood control unless injected.
 */
export class FakeTelegram {
  readonly token: string;
  readonly botInfo: UserFromGetMe;
  /** Every call received, in order, with the HTTP status it was answered with. */
  readonly calls: RecordedCall[] = [];
  /** The bot's answers to callback queries (the toast or alert the user saw). */
  readonly callbackAnswers: CallbackAnswer[] = [];

  private readonly server: Server;
  private readonly chats = new ChatBook();
  private readonly faults = new FaultPlan();
  private readonly queue = new UpdateQueue();
  private readonly methods: ReadonlyMap<string, Method>;
  private readonly callbackQueries = new Map<string, { answered: boolean }>();
  private readonly commandSets = new Map<string, BotCommand[]>();
  private readonly botUser: User;
  private webhook: Webhook | undefined;
  private outage: Outage | undefined;
  private port = 0;
  private lastUpdateId = 0;
  private lastUserId = 700_000_000;
  private lastCallbackQueryId = 0;

  constructor(options: FakeTelegramOptions = {}) {
    const botId = 7_000_000_000 + Math.floor(Math.random() * 1_000_000);
    this.token = options.token ?? `${botId}:${randomBytes(27).toString('base64url').slice(0, 35)}`;
    if (!/^\d+:[\w-]+$/.test(this.token))
      throw new Error('token: <bot id>:<secret>, as BotFather issues');
    const username = options.username ?? 'exchanger_test_bot';
    const firstName = options.firstName ?? 'Exchanger';
    this.botInfo = {
      id: Number(this.token.split(':')[0]),
      is_bot: true,
      first_name: firstName,
      username,
      can_join_groups: true,
      can_read_all_group_messages: false,
      supports_inline_queries: false,
      can_connect_to_business: false,
      has_main_web_app: false,
      has_topics_enabled: false,
      allows_users_to_create_topics: false,
      can_manage_bots: false,
      supports_join_request_queries: false,
    };
    this.botUser = { id: this.botInfo.id, is_bot: true, first_name: firstName, username };
    this.methods = this.methodTable();
    this.server = createServer((request, response) => void this.handle(request, response));
    // Node closes idle connections after 5 s (+1 s); a client reusing one just then gets
    // "socket hang up" (auto-retry's 6 s backoff hits exactly that). Telegram keeps idle
    // connections far longer, and stop() closes them all anyway.
    this.server.keepAliveTimeout = 120_000;
  }

  /** `client.apiRoot` for grammY, `TELEGRAM_API_ROOT` for the application. */
  get apiRoot(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    await this.listen(0);
    return this;
  }

  /** Closes every connection at once, pending long polls and delayed answers included. */
  async stop(): Promise<void> {
    if (!this.server.listening) return;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  // --- faults ------------------------------------------------------------------------

  /** The next `times` calls of `method` (`'*'`: any method) meet `fault`. */
  failNext(method: string, fault: Fault, times = 1): void {
    this.faults.add(method, fault, times);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** The user blocked the bot: sending or editing in their chat answers 403. */
  blockChat(chatId: number): void {
    this.chatOf(chatId).blocked = true;
  }

  unblockChat(chatId: number): void {
    this.chatOf(chatId).blocked = false;
  }

  /**
   * Telegram is down until `up()`: `refuse` stops listening (connections refused, open
   * ones cut), `bad-gateway` answers every call with the proxy's 502 HTML page.
   */
  async down(mode: Outage = 'refuse'): Promise<void> {
    this.outage = mode;
    if (mode === 'refuse') await this.stop();
  }

  async up(): Promise<void> {
    if (this.outage === 'refuse') await this.listen(this.port);
    this.outage = undefined;
  }

  // --- what the bot did --------------------------------------------------------------

  callsTo(method: string): RecordedCall[] {
    const name = method.toLowerCase();
    return this.calls.filter((call) => call.method.toLowerCase() === name);
  }

  /** The messages the bot sent into a chat, as the user sees them now (edits applied). */
  sentTo(chatId: number): PrivateTextMessage[] {
    const record = this.chats.find(chatId);
    if (record === undefined) return [];
    return record.messages
      .filter((message) => message.from?.id === this.botUser.id)
      .map((message) => structuredClone(message));
  }

  /** The commands set for a scope (default: all private chats) and language. */
  commands(scope: object = { type: 'default' }, languageCode = ''): BotCommand[] {
    return this.commandSets.get(commandSetKey(scope, languageCode)) ?? [];
  }

  get pendingUpdateCount(): number {
    return this.queue.size;
  }

  get webhookUrl(): string | undefined {
    return this.webhook?.url;
  }

  // --- users and updates -------------------------------------------------------------

  /** A Telegram user who has opened a private chat with the bot. */
  createUser(fields: Partial<Omit<User, 'is_bot'>> = {}): User {
    this.lastUserId += 1;
    const id = fields.id ?? this.lastUserId;
    const user: User = {
      id,
      is_bot: false,
      first_name: `User${id}`,
      username: `user${id}`,
      language_code: 'en',
      ...fields,
    };
    this.chats.open(user);
    return user;
  }

  /** A text message the user sends to the bot. */
  textMessage(user: User, messageText: string, entities?: MessageEntity[]): Update {
    const record = this.chats.open(user);
    const message: PrivateTextMessage = {
      message_id: this.chats.nextMessageId(record),
      from: user,
      chat: record.chat,
      date: unixTime(),
      text: messageText,
      ...(entities === undefined ? {} : { entities }),
    };
    record.messages.push(message);
    return { update_id: this.nextUpdateId(), message: { ...structuredClone(message), from: user } };
  }

  /** `/command args`, with the `bot_command` entity Telegram adds at offset 0. */
  command(user: User, name: string, args?: string): Update {
    const commandText = `/${name}`;
    return this.textMessage(user, args === undefined ? commandText : `${commandText} ${args}`, [
      { type: 'bot_command', offset: 0, length: commandText.length },
    ]);
  }

  /** The user presses an inline button with `data` under a message the bot sent. */
  callbackQuery(user: User, message: Message, data: string): Update {
    const record = this.chats.find(message.chat.id);
    const current = record?.messages.find((sent) => sent.message_id === message.message_id);
    if (record === undefined || current?.from?.id !== this.botUser.id)
      throw new Error('a callback query needs a message the bot sent');
    this.lastCallbackQueryId += 1;
    const id = `${BigInt(user.id) * 1000n + BigInt(this.lastCallbackQueryId)}`;
    this.callbackQueries.set(id, { answered: false });
    return {
      update_id: this.nextUpdateId(),
      callback_query: {
        id,
        from: user,
        message: structuredClone(current),
        chat_instance: `-${1_000_000_000_000 + record.chat.id}`,
        data,
      },
    };
  }

  /**
   * Makes updates pending, in the order given: a waiting long poll receives them at once. A
   * test may give them out of order or one twice, as Telegram delivers them over parallel
   * webhook connections and again after an answer it did not get.
   */
  enqueue(...updates: Update[]): void {
    for (const update of updates) this.queue.push(update);
  }

  /**
   * Delivers an update to the webhook as Telegram does: POST of the update JSON with the
   * registered secret in `X-Telegram-Bot-Api-Secret-Token`. Without an argument, the oldest
   * pending update. The update stays pending until the receiver answers 2xx, so calling
   * again without an argument is Telegram's retry of the same update.
   */
  async deliverWebhook(update?: Update, timeoutMs = 10_000): Promise<WebhookDelivery> {
    const hook = this.webhook;
    if (hook === undefined) throw new Error('no webhook is set');
    if (update !== undefined && !this.queue.has(update.update_id)) this.queue.push(update);
    const target = update ?? this.queue.oldest();
    if (target === undefined) throw new Error('no update is pending');
    let response: Response;
    let body: string;
    try {
      response = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(hook.secretToken === undefined
            ? {}
            : { 'x-telegram-bot-api-secret-token': hook.secretToken }),
        },
        body: JSON.stringify(target),
        signal: AbortSignal.timeout(timeoutMs),
      });
      body = await response.text();
    } catch (error) {
      const message =
        error instanceof Error && error.name === 'TimeoutError'
          ? 'Read timeout expired'
          : 'Connection refused';
      this.recordWebhookError(hook, message);
      return { status: 0, body: '', error: message };
    }
    if (response.status < 200 || response.status > 299) {
      this.recordWebhookError(
        hook,
        `Wrong response from the webhook: ${response.status} ${response.statusText}`,
      );
    } else {
      this.queue.remove(target.update_id);
      await this.runWebhookReply(response.headers.get('content-type'), body);
    }
    return { status: response.status, body };
  }

  // --- HTTP --------------------------------------------------------------------------

  private async listen(port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as AddressInfo).port;
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // Aborted when the client goes away (or stop() cuts it) before the answer is written.
    const gone = new AbortController();
    response.on('close', () => {
      if (!response.writableFinished) gone.abort();
    });
    let call: RecordedCall | undefined;
    try {
      const url = new URL(request.url ?? '/', 'http://fake.invalid');
      const params = await readParams(request, url);
      const route = /^\/bot([^/]+)\/([^/]+)$/.exec(url.pathname);
      if (route === null) throw new BotApiError(404, 'Not Found');
      const [, token = '', methodName = ''] = route;
      const method = this.methods.get(methodName.toLowerCase());
      call = { method: method?.name ?? methodName, params, at: Date.now() };
      this.calls.push(call);
      if (this.outage === 'bad-gateway') return sendHtml(response, 502, call);
      const fault = this.faults.take(methodName);
      if (fault !== undefined && (await this.applyFault(fault, request, response, call, gone)))
        return;
      if (token !== this.token) throw new BotApiError(401, 'Unauthorized');
      if (method === undefined) throw new BotApiError(404, 'Not Found: method not found');
      const answer = await method.handle(params, gone.signal);
      if (fault?.kind === 'lose-answer') {
        call.status = 'answer-lost';
        request.socket.destroy();
        return;
      }
      if (fault?.kind === 'slow-answer') await sleep(fault.ms, undefined, { signal: gone.signal });
      sendJson(response, 200, { ok: true, ...answer }, call);
    } catch (error) {
      if (gone.signal.aborted) return;
      if (error instanceof BotApiError) {
        sendJson(response, error.errorCode, error.toJSON(), call);
        return;
      }
      // A defect of the fake itself: loud in the test output, and a 500 for the client.
      console.error('fake Telegram failed on', request.url, error);
      sendJson(response, 500, new BotApiError(500, 'Internal Server Error').toJSON(), call);
    }
  }

  /** Applies a fault; true when it answered (or dropped) the call itself. */
  private async applyFault(
    fault: Fault,
    request: IncomingMessage,
    response: ServerResponse,
    call: RecordedCall,
    gone: AbortController,
  ): Promise<boolean> {
    switch (fault.kind) {
      case 'rate-limit':
        throw new BotApiError(
          429,
          `Too Many Requests: retry after ${fault.retryAfter}`,
          fault.retryAfter,
        );
      case 'server-error': {
        const status = fault.status ?? 500;
        if (fault.html === true) {
          sendHtml(response, status, call);
          return true;
        }
        throw new BotApiError(status, SERVER_ERRORS[status] ?? 'Internal Server Error');
      }
      case 'delay':
        await sleep(fault.ms, undefined, { signal: gone.signal });
        return false;
      case 'drop':
        call.status = 'dropped';
        request.socket.destroy();
        return true;
      case 'lose-answer':
      case 'slow-answer':
        return false;
    }
  }

  // --- Bot API methods ---------------------------------------------------------------

  private methodTable(): ReadonlyMap<string, Method> {
    const methods: Array<[string, Method['handle']]> = [
      ['getMe', () => ({ result: this.botInfo })],
      ['getUpdates', (params, signal) => this.getUpdates(params, signal)],
      ['setWebhook', (params) => this.setWebhook(params)],
      ['deleteWebhook', (params) => this.deleteWebhook(params)],
      ['getWebhookInfo', () => ({ result: this.webhookInfo() })],
      ['sendMessage', (params) => ({ result: this.sendMessage(params) })],
      ['editMessageText', (params) => ({ result: this.editMessageText(params) })],
      ['answerCallbackQuery', (params) => ({ result: this.answerCallbackQuery(params) })],
      ['setMyCommands', (params) => ({ result: this.setMyCommands(params) })],
    ];
    // Method names are case-insensitive on the real server.
    return new Map(methods.map(([name, handle]) => [name.toLowerCase(), { name, handle }]));
  }

  private async getUpdates(params: Params, signal: AbortSignal): Promise<Answer> {
    if (this.webhook !== undefined)
      throw new BotApiError(
        409,
        "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first",
      );
    this.queue.setAllowed(allowedUpdates(params));
    const offset = integer(params, 'offset', 0);
    const limit = clamp(integer(params, 'limit', 100), 1, 100);
    const timeout = clamp(integer(params, 'timeout', 0), 0, 50);
    return { result: await this.queue.take(offset, limit, timeout, signal) };
  }

  private setWebhook(params: Params): Answer {
    const url = text(params, 'url');
    // An empty URL is how the API has always let setWebhook remove the webhook.
    if (url === '') return this.deleteWebhook(params);
    if (!isHttpUrl(url)) throw badRequest('invalid webhook URL specified');
    const secretToken = text(params, 'secret_token');
    if (secretToken !== '' && !/^[A-Za-z0-9_-]{1,256}$/.test(secretToken))
      throw badRequest('secret token contains unallowed characters');
    const maxConnections = clamp(integer(params, 'max_connections', 40), 1, 100);
    const dropPending = flag(params, 'drop_pending_updates');
    const hook: Webhook = {
      url,
      secretToken: secretToken === '' ? undefined : secretToken,
      maxConnections,
    };
    const unchanged =
      this.webhook !== undefined &&
      this.webhook.url === hook.url &&
      this.webhook.secretToken === hook.secretToken &&
      this.webhook.maxConnections === hook.maxConnections &&
      !dropPending;
    this.queue.setAllowed(allowedUpdates(params));
    if (unchanged) return { result: true, description: 'Webhook is already set' };
    if (dropPending) this.queue.clear();
    this.queue.terminatePoll(CONFLICT_SET_WEBHOOK);
    this.webhook = hook;
    return { result: true, description: 'Webhook was set' };
  }

  private deleteWebhook(params: Params): Answer {
    if (flag(params, 'drop_pending_updates')) this.queue.clear();
    const existed = this.webhook !== undefined;
    this.webhook = undefined;
    return {
      result: true,
      description: existed ? 'Webhook was deleted' : 'Webhook is already deleted',
    };
  }

  private webhookInfo(): WebhookInfo {
    const hook = this.webhook;
    const allowed = this.queue.allowedUpdates;
    return {
      url: hook?.url ?? '',
      has_custom_certificate: false,
      pending_update_count: this.queue.size,
      ...(hook === undefined ? {} : { max_connections: hook.maxConnections }),
      ...(hook?.lastErrorDate === undefined
        ? {}
        : { last_error_date: hook.lastErrorDate, last_error_message: hook.lastErrorMessage }),
      ...(allowed.length === 0
        ? {}
        : { allowed_updates: [...allowed] as WebhookInfo['allowed_updates'] }),
    };
  }

  private sendMessage(params: Params): PrivateTextMessage {
    // The real server checks the text before it looks at the chat.
    const messageText = messageTextOf(params);
    const record = this.chats.resolveWritable(text(params, 'chat_id'));
    const markup = inlineKeyboardOf(params);
    const entities = json(params, 'entities', 'entities');
    const message: PrivateTextMessage = {
      message_id: this.chats.nextMessageId(record),
      from: this.botUser,
      chat: record.chat,
      date: unixTime(),
      text: messageText,
      ...(Array.isArray(entities) ? { entities: entities as MessageEntity[] } : {}),
      ...(markup === undefined ? {} : { reply_markup: markup }),
    };
    record.messages.push(message);
    return structuredClone(message);
  }

  private editMessageText(params: Params): PrivateTextMessage {
    const messageText = messageTextOf(params);
    const chatId = text(params, 'chat_id');
    const messageId = integer(params, 'message_id', 0);
    if (chatId === '' && messageId === 0) {
      if (text(params, 'inline_message_id') === '')
        throw badRequest('message identifier is not specified');
      throw badRequest('MESSAGE_ID_INVALID');
    }
    const record = this.chats.resolveWritable(chatId);
    const message = record.messages.find((candidate) => candidate.message_id === messageId);
    if (message === undefined) throw badRequest('message to edit not found');
    if (message.from?.id !== this.botUser.id) throw badRequest("message can't be edited");
    // Without reply_markup an edit removes the inline keyboard, as on the real server.
    const markup = inlineKeyboardOf(params);
    if (
      message.text === messageText &&
      JSON.stringify(message.reply_markup) === JSON.stringify(markup)
    ) {
      throw badRequest(
        'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
      );
    }
    message.text = messageText;
    message.edit_date = unixTime();
    if (markup === undefined) delete message.reply_markup;
    else message.reply_markup = markup;
    return structuredClone(message);
  }

  private answerCallbackQuery(params: Params): true {
    const id = text(params, 'callback_query_id');
    const query = this.callbackQueries.get(id);
    if (query === undefined || query.answered)
      throw badRequest('query is too old and response timeout expired or query ID is invalid');
    query.answered = true;
    const answerText = text(params, 'text');
    this.callbackAnswers.push({
      callbackQueryId: id,
      ...(answerText === '' ? {} : { text: answerText }),
      showAlert: flag(params, 'show_alert'),
    });
    return true;
  }

  private setMyCommands(params: Params): true {
    const commands = json(params, 'commands', 'commands') ?? [];
    if (!Array.isArray(commands)) throw badRequest('expected an Array of BotCommand');
    const parsed = commands.map(botCommandOf);
    const scope = json(params, 'scope', 'scope') ?? { type: 'default' };
    this.commandSets.set(commandSetKey(scope, text(params, 'language_code')), parsed);
    return true;
  }

  // --- helpers -----------------------------------------------------------------------

  private chatOf(chatId: number): ChatRecord {
    const record = this.chats.find(chatId);
    if (record === undefined) throw new Error(`no chat ${chatId}: create the user first`);
    return record;
  }

  private nextUpdateId(): number {
    this.lastUpdateId += 1;
    return this.lastUpdateId;
  }

  private recordWebhookError(hook: Webhook, message: string): void {
    hook.lastErrorDate = unixTime();
    hook.lastErrorMessage = message;
  }

  /** A webhook may answer with one method call in its body; Telegram performs it. */
  private async runWebhookReply(contentType: string | null, body: string): Promise<void> {
    if (contentType?.startsWith('application/json') !== true) return;
    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return;
    }
    if (typeof payload !== 'object' || payload === null || !('method' in payload)) return;
    const { method: methodName, ...params } = payload as Params;
    if (typeof methodName !== 'string') return;
    const method = this.methods.get(methodName.toLowerCase());
    const call: RecordedCall = { method: method?.name ?? methodName, params, at: Date.now() };
    this.calls.push(call);
    try {
      if (method === undefined) throw new BotApiError(404, 'Not Found: method not found');
      await method.handle(params, new AbortController().signal);
      call.status = 200;
    } catch (error) {
      // Telegram reports nothing back about a failed webhook reply.
      call.status = error instanceof BotApiError ? error.errorCode : 500;
    }
  }
}

export interface FakeTelegramOptions {
  /** Default: a random token of the real shape, `<bot id>:<35 characters>`. */
  token?: string;
  username?: string;
  firstName?: string;
}

export interface RecordedCall {
  /** The method's canonical name when known, as called otherwise. */
  method: string;
  params: Params;
  /** Date.now() when the call arrived. */
  at: number;
  /**
   * The HTTP status answered; `dropped` when the connection was cut before the call was
   * performed, `answer-lost` when it was cut after.
   */
  status?: number | 'dropped' | 'answer-lost';
}

export interface CallbackAnswer {
  callbackQueryId: string;
  text?: string;
  showAlert: boolean;
}

/** What the webhook receiver answered; status 0 when it could not be reached. */
export interface WebhookDelivery {
  status: number;
  body: string;
  error?: string;
}

export type Outage = 'refuse' | 'bad-gateway';

interface Answer {
  result: unknown;
  description?: string;
}

interface Method {
  name: string;
  handle: (params: Params, signal: AbortSignal) => Answer | Promise<Answer>;
}

interface Webhook {
  url: string;
  secretToken: string | undefined;
  maxConnections: number;
  lastErrorDate?: number;
  lastErrorMessage?: string;
}

const SERVER_ERRORS: Record<number, string> = {
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** Telegram's own limit on a message text. */
const MAX_MESSAGE_LENGTH = 4096;
/** Telegram's own limit on the data a button sends back. */
const MAX_CALLBACK_DATA_BYTES = 64;

function messageTextOf(params: Params): string {
  const messageText = text(params, 'text');
  if (messageText === '') throw badRequest('message text is empty');
  if (messageText.length > MAX_MESSAGE_LENGTH) throw badRequest('message is too long');
  return messageText;
}

/**
 * The markup a sent message carries: only an inline keyboard is part of the message the
 * API returns; a reply keyboard is accepted but belongs to the user's input field.
 */
function inlineKeyboardOf(params: Params): InlineKeyboardMarkup | undefined {
  const markup = json(params, 'reply_markup', 'reply keyboard markup');
  if (markup === undefined) return undefined;
  if (typeof markup !== 'object' || markup === null || Array.isArray(markup))
    throw badRequest("can't parse reply keyboard markup JSON object");
  if (!('inline_keyboard' in markup)) return undefined;
  const rows = markup.inline_keyboard;
  if (!Array.isArray(rows) || !rows.every((row) => Array.isArray(row)))
    throw badRequest("can't parse inline keyboard button: InlineKeyboardButton must be an Array");
  for (const button of rows.flat() as Array<Record<string, unknown>>) {
    const data = button.callback_data;
    if (data !== undefined && !isButtonData(data)) throw badRequest('BUTTON_DATA_INVALID');
  }
  return rows.length === 0
    ? undefined
    : { inline_keyboard: rows as InlineKeyboardMarkup['inline_keyboard'] };
}

/** A button's `callback_data`: 1 to 64 bytes (bytes, not characters). */
function isButtonData(data: unknown): boolean {
  if (typeof data !== 'string') return false;
  const bytes = Buffer.byteLength(data, 'utf8');
  return bytes >= 1 && bytes <= MAX_CALLBACK_DATA_BYTES;
}

function botCommandOf(value: unknown): BotCommand {
  if (typeof value !== 'object' || value === null)
    throw badRequest("can't parse BotCommand: expected an Object");
  const { command, description } = value as Record<string, unknown>;
  if (typeof command !== 'string' || typeof description !== 'string')
    throw badRequest('can\'t parse BotCommand: field "command" and "description" must be strings');
  if (!/^[a-z0-9_]{1,32}$/.test(command)) throw badRequest('BOT_COMMAND_INVALID');
  if (description.length < 1 || description.length > 256)
    throw badRequest('BOT_COMMAND_DESCRIPTION_INVALID');
  return { command, description };
}

function allowedUpdates(params: Params): string[] | undefined {
  const types = json(params, 'allowed_updates', 'allowed updates');
  if (types === undefined) return undefined;
  if (!Array.isArray(types) || !types.every((type) => typeof type === 'string'))
    throw badRequest("can't parse allowed updates JSON array");
  return types;
}

function commandSetKey(scope: unknown, languageCode: string): string {
  return `${JSON.stringify(scope)}|${languageCode}`;
}

function isHttpUrl(candidate: string): boolean {
  try {
    const { protocol } = new URL(candidate);
    return protocol === 'https:' || protocol === 'http:';
  } catch {
    return false;
  }
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, value));
}

function unixTime(): number {
  return Math.floor(Date.now() / 1000);
}

function sendJson(
  response: ServerResponse,
  status: number,
  body: object,
  call: RecordedCall | undefined,
): void {
  if (call !== undefined) call.status = status;
  if (response.headersSent || response.destroyed) return;
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
  });
  response.end(payload);
}

/** The page the proxy in front of the Bot API serves when the API behind it is gone. */
function sendHtml(response: ServerResponse, status: number, call: RecordedCall): void {
  call.status = status;
  if (response.headersSent || response.destroyed) return;
  const title = `${status} ${SERVER_ERRORS[status] ?? 'Error'}`;
  const page = `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
  response.writeHead(status, {
    'content-type': 'text/html',
    'content-length': Buffer.byteLength(page),
  });
  response.end(page);
}
