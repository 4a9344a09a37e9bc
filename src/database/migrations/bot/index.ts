import { CreateBotSchema1795319174888 } from './1795319174888-CreateBotSchema.js';
import { AddBotRuntime1795794405709 } from './1795794405709-AddBotRuntime.js';

/** Migrations of the bot database, oldest first. A new migration is added here. */
export const BOT_MIGRATIONS: Function[] = [
  CreateBotSchema1795319174888,
  AddBotRuntime1795794405709,
];
