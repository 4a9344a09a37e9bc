/** The bot folder's door. */
export { BotModule } from './bot.module.js';
export { BOT_ENTITIES } from './entities/index.js';
