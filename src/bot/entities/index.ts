import { BotState } from './bot-state.entity.js';
import { Conversation } from './conversation.entity.js';
import { Message } from './message.entity.js';
import { Notification } from './notification.entity.js';
import { OutgoingMessage } from './outgoing-message.entity.js';
import { TelegramUpdate } from './telegram-update.entity.js';
import { UserCommand } from './user-command.entity.js';

export {
  BotState,
  Conversation,
  Message,
  Notification,
  OutgoingMessage,
  TelegramUpdate,
  UserCommand,
};

export const BOT_ENTITIES = [
  Conversation,
  Message,
  Notification,
  BotState,
  UserCommand,
  TelegramUpdate,
  OutgoingMessage,
];
