import type { OnApplicationShutdown } from '@nestjs/common';
import {
  type BorrowedRedisClient,
  RedisConnection,
  type RedisOptions,
} from './redis.connection.js';

/**
 * How a module is given Redis: the host's RedisConnection or node-redis client (borrowed),
 * or options to open a connection of its own.
 */
export type ModuleRedisOption = RedisConnection | BorrowedRedisClient | RedisOptions;

/** Options for a module that keeps its cache in process memory. */
const IN_MEMORY: RedisOptions = { url: undefined, commandTimeoutMs: 200 };

/**
 * The Redis connection a module was given: borrowed (the host's RedisConnection or client,
 * which the host closes) or its own, opened from options and dropped at shutdown. Without either,
 * a connection to nothing, whose stores live in process memory.
 */
export class ModuleRedis implements OnApplicationShutdown {
  private constructor(
    readonly connection: RedisConnection,
    private readonly owned: boolean,
  ) {}

  static async of(given: ModuleRedisOption | undefined): Promise<ModuleRedis> {
    if (given instanceof RedisConnection) return new ModuleRedis(given, false);
    // Its own connection object over the host's client: the sweeper stops at shutdown, and
    // the client (see RedisConnection) stays open.
    const connection =
      given !== undefined && 'client' in given
        ? RedisConnection.borrowing(given)
        : new RedisConnection(given ?? IN_MEMORY);
    await connection.connect();
    return new ModuleRedis(connection, true);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.owned) await this.connection.onApplicationShutdown();
  }
}
