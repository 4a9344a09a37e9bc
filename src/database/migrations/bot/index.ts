import { CreateBotSchema1795319174888 } from './1795319174888-CreateBotSchema.js';
import { AddBotRuntime1795791924907 } from './1795791924907-AddBotRuntime.js';

/** Migrations of the bot database, oldest first. A new migration is added here. */
export const BOT_MIGRATIONS: Function[] = [
  CreateBotSchema1795319174888,
  AddBotRuntime1795791924907,
];
