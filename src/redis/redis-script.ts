import { createHash } from 'node:crypto';
import { ErrorReply } from '@redis/client';
import type { RedisClient } from './redis.connection.js';

/**
 * A Lua script run by its SHA (EVALSHA), loaded on first use or after a Redis restart
 * (NOSCRIPT), so each call sends only the hash, not the source.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(private readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(client: RedisClient, keys: string[], args: string[]): Promise<unknown> {
    const options = { keys, arguments: args };
    try {
      return await client.evalSha(this.sha, options);
    } catch (error) {
      if (error instanceof ErrorReply && error.message.startsWith('NOSCRIPT')) {
        return client.eval(this.source, options);
      }
      throw error;
    }
  }
}
