import type { OnApplicationShutdown } from '@nestjs/common';
import { RedisConnection, type RedisOptions } from './redis.connection.js';

/** Options for a module that keeps its cache in process memory. */
const IN_MEMORY: RedisOptions = { url: undefined, commandTimeoutMs: 200 };

/**
 * The Redis connection a module was given: borrowed (the host's RedisConnection, which the
 * host closes) or its own, opened from options and dropped at shutdown. Without either,
 * a connection to nothing, whose stores live in process memory.
 */
export class ModuleRedis implements OnApplicationShutdown {
  private constructor(
    readonly connection: RedisConnection,
    private readonly owned: boolean,
  ) {}

  static async of(given: RedisConnection | RedisOptions | undefined): Promise<ModuleRedis> {
    if (given instanceof RedisConnection) return new ModuleRedis(given, false);
    const connection = new RedisConnection(given ?? IN_MEMORY);
    await connection.connect();
    return new ModuleRedis(connection, true);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.owned) await this.connection.onApplicationShutdown();
  }
}
