/**
 * Keys of the bot's cache (`cache:telegram:…`, see docs/caching.md), relative to its store. Built only here.
 * The send limits share one hash tag, so that one script may touch them on Redis Cluster too.
 */
export const BotCacheKeys = {
  conversation: (telegramUserId: string) => `conversations:${telegramUserId}`,
  command: (name: string) => `commands:${name}`,
  botNext: () => 'limits:{send}:next',
  chatNext: (chatId: string) => `limits:{send}:chat:${chatId}`,
};
