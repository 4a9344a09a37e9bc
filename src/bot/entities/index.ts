import { BotState } from './bot-state.entity.js';
import { Conversation } from './conversation.entity.js';
import { Message } from './message.entity.js';
import { Notification } from './notification.entity.js';
import { UserCommand } from './user-command.entity.js';

export { BotState, Conversation, Message, Notification, UserCommand };

export const BOT_ENTITIES = [Conversation, Message, Notification, BotState, UserCommand];
