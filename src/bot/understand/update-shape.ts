import { z } from 'zod';

/** Telegram's update ids are positive 32-bit integers; anything outside is not an update. */
const MAX_UPDATE_ID = 2 ** 31 - 1;
/** Deeper than any real update; deeper JSON is refused before it reaches PostgreSQL's parser. */
const MAX_DEPTH = 24;

/** An update as stored in the inbox: its id, who sent it (when anyone), and its JSON. */
export interface ReceivedUpdate {
  readonly updateId: number;
  readonly senderId: number | undefined;
  readonly payload: Record<string, unknown>;
}

const telegramId = z.number().int().safe();

const user = z.looseObject({
  id: telegramId,
  is_bot: z.boolean().optional(),
  // Whatever Telegram sends here only picks a language we speak, or none.
  language_code: z.string().max(35).optional().catch(undefined),
});
const chat = z.looseObject({ id: telegramId, type: z.string() });
const entity = z.looseObject({
  type: z.string(),
  offset: z.number().int().nonnegative(),
  length: z.number().int().nonnegative(),
});

const message = z.looseObject({
  message_id: z.number().int().positive(),
  from: user,
  chat,
  date: z.number().int(),
  text: z.string().max(4096).optional(),
  entities: z.array(entity).max(100).optional(),
});

const callbackQuery = z.looseObject({
  id: z.string().min(1).max(64),
  from: user,
  data: z.string().max(64).optional(),
  message: z
    .looseObject({ message_id: z.number().int().positive(), chat, date: z.number().int() })
    .optional(),
});

const messageUpdate = z.looseObject({ message });
const callbackUpdate = z.looseObject({ callback_query: callbackQuery });

/** An update the bot acts on: a message, or a press on one of its buttons. */
export type HandledUpdate =
  | { readonly kind: 'message'; readonly message: z.infer<typeof message> }
  | { readonly kind: 'callback'; readonly callbackQuery: z.infer<typeof callbackQuery> };

/** The update, if it is one the bot acts on; any other (well-formed) update is stored and ignored. */
export function handledUpdate(payload: Record<string, unknown>): HandledUpdate | undefined {
  const asMessage = messageUpdate.safeParse(payload);
  if (asMessage.success) return { kind: 'message', message: asMessage.data.message };
  const asCallback = callbackUpdate.safeParse(payload);
  if (asCallback.success)
    return { kind: 'callback', callbackQuery: asCallback.data.callback_query };
  return undefined;
}

/** The first object field of the update that names a sender (message.from, callback_query.from, …). */
function senderOf(update: Record<string, unknown>): number | undefined {
  for (const [field, value] of Object.entries(update)) {
    if (field === 'update_id' || typeof value !== 'object' || value === null) continue;
    const id = (value as { from?: { id?: unknown } }).from?.id;
    if (typeof id === 'number' && Number.isSafeInteger(id)) return id;
  }
  return undefined;
}

function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop() as [unknown, number];
    if (typeof item !== 'object' || item === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_DEPTH) return deepest;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/**
 * Text that PostgreSQL's jsonb can hold: NUL and unpaired surrogates (which JSON allows and
 * jsonb refuses) become U+FFFD, in keys and values alike.
 */
function storable(value: unknown): unknown {
  if (typeof value === 'string') return value.toWellFormed().replaceAll('\u0000', '\ufffd');
  if (Array.isArray(value)) return value.map(storable);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value).map(([key, child]) => [storable(key) as string, storable(child)]),
    );
  }
  return value;
}

/**
 * What the webhook accepts: a JSON object with a valid `update_id`, not absurdly deep. The
 * rest is Telegram's business: an update of a kind the bot does not handle, or one that
 * is malformed inside, is stored all the same and ignored by the worker.
 */
export function receivedUpdate(body: unknown): ReceivedUpdate | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'an update is a JSON object';
  const updateId = (body as { update_id?: unknown }).update_id;
  if (
    typeof updateId !== 'number' ||
    !Number.isInteger(updateId) ||
    updateId < 0 ||
    updateId > MAX_UPDATE_ID
  ) {
    return 'update_id must be a non-negative 32-bit integer';
  }
  if (depthOf(body) > MAX_DEPTH) return 'the update is nested too deeply';
  const payload = storable(body) as Record<string, unknown>;
  return { updateId, senderId: senderOf(payload), payload };
}
