import { createHash } from 'node:crypto';
import { ErrorReply } from '@redis/client';
import type { MemoryMap } from './memory-map.js';
import type { RedisClient } from './redis.connection.js';

/**
 * One atomic step on cache keys, written twice side by side: in Lua for Redis (run by its
 * SHA, loaded on first use or after a Redis restart) and in TypeScript on the process-memory
 * map, where a synchronous function is atomic too. `parse` reads Redis's reply into the
 * same result the memory version returns.
 *
 * On Redis Cluster a script may only touch keys of one slot: give it the keys it touches.
 */
export class KeyScript<Result> {
  private readonly sha: string;

  constructor(
    private readonly lua: string,
    readonly memory: (map: MemoryMap, keys: readonly string[], args: readonly string[]) => Result,
    private readonly parse: (reply: unknown) => Result,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(
    client: RedisClient,
    keys: readonly string[],
    args: readonly string[],
  ): Promise<Result> {
    const options = { keys: [...keys], arguments: [...args] };
    try {
      return this.parse(await client.evalSha(this.sha, options));
    } catch (error) {
      if (error instanceof ErrorReply && error.message.startsWith('NOSCRIPT')) {
        return this.parse(await client.eval(this.lua, options));
      }
      throw error;
    }
  }
}
