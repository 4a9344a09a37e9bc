import type { Chat, Message, User } from 'grammy/types';
import { BotApiError, badRequest } from './protocol.js';

/** A text message of a private chat. */
export type PrivateTextMessage = Message.TextMessage & { chat: Chat.PrivateChat };

/** A private chat between the bot and one user, as Telegram holds it. */
export interface ChatRecord {
  readonly user: User;
  readonly chat: Chat.PrivateChat;
  /** Message ids are per chat and shared by both sides, as in real private chats. */
  lastMessageId: number;
  /** Every text message of the chat, in order, with the bot's edits applied. */
  readonly messages: PrivateTextMessage[];
  /** The user blocked the bot: sending to them answers 403. */
  blocked: boolean;
}

/** The chats the bot can reach: those of users who have written to it. */
export class ChatBook {
  private readonly chats = new Map<number, ChatRecord>();

  open(user: User): ChatRecord {
    const existing = this.chats.get(user.id);
    if (existing !== undefined) return existing;
    const chat: Chat.PrivateChat = {
      id: user.id,
      type: 'private',
      first_name: user.first_name,
      ...(user.last_name === undefined ? {} : { last_name: user.last_name }),
      ...(user.username === undefined ? {} : { username: user.username }),
    };
    const record: ChatRecord = { user, chat, lastMessageId: 0, messages: [], blocked: false };
    this.chats.set(user.id, record);
    return record;
  }

  find(chatId: number): ChatRecord | undefined {
    return this.chats.get(chatId);
  }

  /** The chat a `chat_id` argument names, refused the way the Bot API refuses it. */
  resolve(chatIdArgument: string): ChatRecord {
    if (chatIdArgument === '') throw badRequest('chat_id is empty');
    const id = Number(chatIdArgument);
    const record = Number.isSafeInteger(id) ? this.chats.get(id) : undefined;
    if (record === undefined) throw badRequest('chat not found');
    return record;
  }

  /** As `resolve`, for a call that writes into the chat. */
  resolveWritable(chatIdArgument: string): ChatRecord {
    const record = this.resolve(chatIdArgument);
    if (record.blocked) throw new BotApiError(403, 'Forbidden: bot was blocked by the user');
    return record;
  }

  nextMessageId(record: ChatRecord): number {
    record.lastMessageId += 1;
    return record.lastMessageId;
  }
}
